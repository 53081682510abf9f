import { ACTIONS_QUEUE, childJobId, NODE_JOB_ATTEMPTS, toActionObject, type ActionStore } from '@modfleet/common';
import { createFakeActionStore } from '@modfleet/common/testing';
import { describe, expect, it } from 'vitest';
import { childJobKey, finalizeAction } from '../../actions/action-finalizer.js';
import { createFakeInflightStore } from '../../actions/fake-inflight-store.js';
import { createDispatcher, FINALIZE_ATTEMPTS, type ActionRequest } from './dispatcher.js';
import { createFakeFlowProducer } from './fake-flow-producer.js';

const SHA = 'a'.repeat(64);
const NOW = Date.parse('2026-03-01T12:00:00.500Z');

function setup() {
  const actions = createFakeActionStore(() => NOW);
  const inflight = createFakeInflightStore();
  const flows = createFakeFlowProducer();
  const dispatcher = createDispatcher({ inflight, actions, flows, now: () => NOW });
  return { actions, inflight, flows, dispatcher };
}

const install = (node_uid: number, extra: Partial<ActionRequest['ops'][number]> = {}) => ({
  node_uid,
  op: 'install' as const,
  module_name: 'Mod',
  version: 3,
  sha256: SHA,
  size: 4096,
  ...extra,
});

const request = (overrides: Partial<ActionRequest> = {}): ActionRequest => ({
  name: 'install_module_artifact',
  description: 'Install Mod@3 on every node',
  object_type: 'module_artifact',
  object_uid: 'Mod@3',
  ops: [install(1), install(2, { replace: true })],
  ...overrides,
});

describe('createDispatcher', () => {
  it('records the action with one queued op per node, creation time in seconds', async () => {
    const { dispatcher, actions } = setup();
    const { action_uid, reused } = await dispatcher.dispatch(request());

    expect(reused).toBe(false);
    const stored = await actions.get(action_uid);
    expect(stored?.meta).toEqual({
      action_uid,
      name: 'install_module_artifact',
      creation_time: Math.floor(NOW / 1000),
      description: 'Install Mod@3 on every node',
      object_type: 'module_artifact',
      object_uid: 'Mod@3',
    });
    expect(stored?.ops.map(op => [op.key, op.node_uid, op.status, op.progress, op.attempts, op.error])).toEqual([
      ['1-0', 1, 'queued', 0, 0, null],
      ['2-1', 2, 'queued', 0, 0, null],
    ]);
  });

  it('queues one flow: the action as parent, a retried child per op on its node queue that never blocks it', async () => {
    const { dispatcher, flows } = setup();
    const { action_uid } = await dispatcher.dispatch(request());

    expect(flows.added).toHaveLength(1);
    const [flow] = flows.added;
    expect(flow).toMatchObject({
      queueName: ACTIONS_QUEUE,
      data: { action_uid },
      opts: { jobId: action_uid, attempts: FINALIZE_ATTEMPTS },
    });
    expect(flow!.children?.map(child => [child.queueName, child.opts?.jobId])).toEqual([
      ['node-1', childJobId(action_uid, '1-0')],
      ['node-2', childJobId(action_uid, '2-1')],
    ]);
    for (const child of flow!.children ?? [])
      expect(child.opts).toMatchObject({ attempts: NODE_JOB_ATTEMPTS, ignoreDependencyOnFailure: true });
  });

  it('tells each node where to fetch the bytes and whether it may replace what it holds', async () => {
    const { dispatcher, flows } = setup();
    const { action_uid } = await dispatcher.dispatch(
      request({
        ops: [install(1), install(2, { replace: true }), { node_uid: 3, op: 'delete', module_name: 'Mod', version: 3 }],
      }),
    );

    expect(flows.added[0]!.children?.map(child => child.data as unknown)).toEqual([
      {
        action_uid,
        op_key: '1-0',
        node_uid: 1,
        op: 'install',
        module_name: 'Mod',
        version: 3,
        sha256: SHA,
        url: `/internal/blobs/${SHA}`,
        size: 4096,
      },
      {
        action_uid,
        op_key: '2-1',
        node_uid: 2,
        op: 'install',
        module_name: 'Mod',
        version: 3,
        sha256: SHA,
        url: `/internal/blobs/${SHA}`,
        size: 4096,
        replace: true,
      },
      { action_uid, op_key: '3-2', node_uid: 3, op: 'delete', module_name: 'Mod', version: 3 },
    ]);
  });

  it('answers an identical request with the running action, and starts a new one once it finished', async () => {
    const { dispatcher, actions, flows } = setup();
    const first = await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }));
    const again = await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }));
    expect(again).toEqual({ action_uid: first.action_uid, reused: true });
    expect(flows.added).toHaveLength(1);

    await actions.markFinished(first.action_uid, NOW);
    const later = await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }));
    expect(later.reused).toBe(false);
    expect(later.action_uid).not.toBe(first.action_uid);
    expect((await actions.get(later.action_uid))?.meta.dedupe_key).toBe('install|Mod@3');
  });

  it('joins an identical request exactly while the action reads as unfinished, even once every node reported done', async () => {
    const { dispatcher, actions, inflight } = setup();
    const read = async (uid: string) => {
      const stored = (await actions.get(uid))!;
      return toActionObject(stored.meta, stored.ops).status;
    };
    const first = await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }));
    // Every agent wrote its op as completed; BullMQ has not run the parent job yet.
    await reportAllDone(actions, first.action_uid);

    expect(await read(first.action_uid)).toBe('running');
    expect(await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }))).toEqual({
      action_uid: first.action_uid,
      reused: true,
    });

    const jobKey = childJobKey({ toKey: (queue, id) => `${queue}:${id}` });
    const stored = (await actions.get(first.action_uid))!;
    const values = Object.fromEntries(stored.ops.map(op => [jobKey(op, first.action_uid), { result: 'installed' }]));
    await finalizeAction({ actions, inflight, jobKey, now: () => NOW }, first.action_uid, { values, failures: {} });

    expect(await read(first.action_uid)).toBe('completed');
    const later = await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }));
    expect(later.reused).toBe(false);
    expect(later.action_uid).not.toBe(first.action_uid);
  });

  it('takes over a dedupe key whose holder never wrote its record (it died after claiming), once the wait is over', async () => {
    const actions = createFakeActionStore(() => NOW);
    const inflight = createFakeInflightStore();
    const flows = createFakeFlowProducer();
    const dispatcher = createDispatcher({ inflight, actions, flows, now: () => NOW, holderRecordWaitMs: 50 });
    inflight.held.set('install|Mod@3', 'claimed-by-a-dispatcher-that-died');

    const pushed = await dispatcher.dispatch(request({ dedupeKey: 'install|Mod@3' }));

    expect(pushed.reused).toBe(false);
    expect(inflight.held.get('install|Mod@3')).toBe(pushed.action_uid);
  });

  it('never merges requests without a dedupe key', async () => {
    const { dispatcher, flows } = setup();
    const a = await dispatcher.dispatch(request());
    const b = await dispatcher.dispatch(request());
    expect(a.action_uid).not.toBe(b.action_uid);
    expect(flows.added).toHaveLength(2);
  });
});

/** What each agent writes once its op is done (op-recorder), before BullMQ completes the job. */
async function reportAllDone(actions: ActionStore, actionUid: string): Promise<void> {
  for (const op of (await actions.get(actionUid))!.ops)
    await actions.recordOp(actionUid, { ...op, status: 'completed', progress: 100, attempts: 1 });
}
