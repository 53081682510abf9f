import { nodeOpKey, toActionObject, type ActionMeta, type OpRecord } from '@modfleet/common';
import { createFakeActionStore } from '@modfleet/common/testing';
import { describe, expect, it } from 'vitest';
import { ACTION_RETENTION, finalizeAction, type ChildOutcomes } from './action-finalizer.js';
import { createFakeFleetArtifacts } from '../fleet/desired-state/fake-fleet-artifacts.js';
import type { FleetArtifact } from '../fleet/desired-state/fleet-artifacts.js';
import { createFakeInflightStore } from './fake-inflight-store.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

const op = (key: string, node_uid: number, extra: Partial<OpRecord> = {}): OpRecord => ({
  key,
  node_uid,
  op: 'install',
  module_name: 'Mod',
  version: 1,
  sha256: 'a'.repeat(64),
  status: 'running',
  progress: 40,
  attempts: 1,
  error: null,
  ...extra,
});

const meta = (action_uid: string, extra: Partial<ActionMeta> = {}): ActionMeta => ({
  action_uid,
  name: 'install_module_artifact',
  creation_time: Math.floor(NOW / 1000),
  description: 'Install Mod@1 on every node',
  object_type: 'module_artifact',
  object_uid: 'Mod@1',
  ...extra,
});

/** The fleet's artifact Mod@1 with these bytes. */
const wanted = (sha256: string): FleetArtifact => ({
  module_name: 'Mod',
  version: 1,
  semantic_version: '0.0.1',
  dependencies: [],
  sha256,
  size: 4096,
  nodes: 'all',
  created_at: '2026-03-01T12:00:00.000Z',
});

/** `fleet`: what the fleet wants (by default the Mod@1 every op here installs). */
async function setup(ops: OpRecord[], extra: Partial<ActionMeta> = {}, fleet = [wanted('a'.repeat(64))]) {
  let clock = NOW;
  const actions = createFakeActionStore(() => clock);
  const inflight = createFakeInflightStore();
  await actions.create(meta('act-1', extra), ops);
  const deps = {
    actions,
    inflight,
    artifacts: createFakeFleetArtifacts(fleet),
    jobKey: (o: OpRecord, uid: string) => `q:${o.node_uid}:${uid}-${o.key}`,
    now: () => clock,
  };
  const finalize = (outcomes: ChildOutcomes) => finalizeAction(deps, 'act-1', outcomes);
  const advance = (ms: number) => (clock += ms);
  return { actions, inflight, finalize, advance };
}

const statuses = async (actions: ReturnType<typeof createFakeActionStore>) =>
  (await actions.get('act-1'))?.ops.map(o => [o.key, o.status, o.progress, o.error]);

describe('finalizeAction', () => {
  it('writes what BullMQ recorded for each child, whatever the agents last reported', async () => {
    const { actions, finalize } = await setup([
      op('1-0', 1),
      op('2-1', 2),
      op('3-2', 3, { status: 'queued', progress: 0 }),
    ]);
    const result = await finalize({
      values: { 'q:1:act-1-1-0': { ok: true } },
      failures: { 'q:2:act-1-2-1': 'disk full' },
    });

    expect(await statuses(actions)).toEqual([
      ['1-0', 'completed', 100, null],
      ['2-1', 'failed', 40, 'disk full'],
      // No outcome at all: the child went with its node's queue.
      ['3-2', 'cancelled', 0, 'node removed from the cluster'],
    ]);
    expect(result).toMatchObject({ completed: 1, failed: 1 });
    expect((await actions.get('act-1'))?.meta.finished_at).toBe(NOW);
  });

  it('leaves an op that already ended as it was reported', async () => {
    const { actions, finalize } = await setup([op('1-0', 1, { status: 'failed', error: 'blob_not_found' })]);
    await finalize({ values: {}, failures: {} });
    expect(await statuses(actions)).toEqual([['1-0', 'failed', 40, 'blob_not_found']]);
  });

  it('drops the fleet-view entries of nodes that deleted the artifact, and keeps those of installs', async () => {
    const { actions, finalize } = await setup([
      op('1-0', 1, { op: 'delete', sha256: undefined }),
      op('2-1', 2, { module_name: 'Other' }),
    ]);
    await finalize({ values: { 'q:1:act-1-1-0': null, 'q:2:act-1-2-1': null }, failures: {} });
    const nodeOps = await actions.nodeOps();
    expect(nodeOps.has(nodeOpKey(1, 'Mod', 1))).toBe(false);
    expect(nodeOps.get(nodeOpKey(2, 'Other', 1))).toMatchObject({ action_uid: 'act-1', status: 'completed' });
  });

  it('frees its dedupe key so the same push starts a new action, but never a key another action took', async () => {
    const mine = await setup([op('1-0', 1)], { dedupe_key: 'install|Mod@1' });
    mine.inflight.held.set('install|Mod@1', 'act-1');
    await mine.finalize({ values: { 'q:1:act-1-1-0': null }, failures: {} });
    expect(mine.inflight.held.has('install|Mod@1')).toBe(false);

    const taken = await setup([op('1-0', 1)], { dedupe_key: 'install|Mod@1' });
    taken.inflight.held.set('install|Mod@1', 'act-2');
    await taken.finalize({ values: { 'q:1:act-1-1-0': null }, failures: {} });
    expect(taken.inflight.held.get('install|Mod@1')).toBe('act-2');
  });

  it('trims actions older than the retention once one finishes', async () => {
    const { actions, finalize, advance } = await setup([op('1-0', 1)]);
    advance(ACTION_RETENTION.maxAgeMs + 1);
    await actions.create(meta('act-2'), []);
    // act-1 is the one finishing, and now older than the retention allows.
    const result = await finalize({ values: { 'q:1:act-1-1-0': null }, failures: {} });
    expect(result).toMatchObject({ trimmed: 1 });
    expect(await actions.get('act-1')).toBeUndefined();
    expect(await actions.get('act-2')).toBeDefined();
  });

  describe('an install whose artifact the fleet no longer wants (a delete raced the push)', () => {
    const vanished = 'no source delivered piece 0 of 1 (tried origin: answered 404)';
    const pushOps = () => [
      op('1-0', 1, { status: 'completed', progress: 100 }),
      op('2-1', 2, { status: 'failed', error: vanished }),
    ];
    const outcomes = { values: { 'q:1:act-1-1-0': null }, failures: { 'q:2:act-1-2-1': vanished } };

    it('ends cancelled as superseded, saying why, and the push completes', async () => {
      const { actions, finalize } = await setup(pushOps(), {}, []);
      await finalize(outcomes);

      const stored = (await actions.get('act-1'))!;
      expect(stored.ops[1]).toMatchObject({
        status: 'cancelled',
        error: `superseded: Mod@1 was deleted from the fleet before this node installed it; the install had failed: ${vanished}`,
      });
      expect(toActionObject(stored.meta, stored.ops).status).toBe('completed');
    });

    it('says so when the name was pushed again with other bytes', async () => {
      const { actions, finalize } = await setup(pushOps(), {}, [wanted('b'.repeat(64))]);
      await finalize(outcomes);
      expect((await actions.get('act-1'))!.ops[1]).toMatchObject({
        status: 'cancelled',
        error: expect.stringContaining(`Mod@1 was pushed again with other bytes (sha256 ${'b'.repeat(64)})`) as string,
      });
    });

    it('still fails while the fleet wants those very bytes, and leaves a failed delete alone', async () => {
      const kept = await setup(pushOps());
      await kept.finalize(outcomes);
      const stillWanted = (await kept.actions.get('act-1'))!;
      expect(stillWanted.ops[1]).toMatchObject({ status: 'failed', error: vanished });
      expect(toActionObject(stillWanted.meta, stillWanted.ops).status).toBe('failed');

      const deleting = await setup(
        [op('1-0', 1, { op: 'delete', sha256: undefined, status: 'failed', error: 'EACCES' })],
        {},
        [],
      );
      await deleting.finalize({ values: {}, failures: { 'q:1:act-1-1-0': 'EACCES' } });
      expect(await statuses(deleting.actions)).toEqual([['1-0', 'failed', 40, 'EACCES']]);
    });
  });

  it('does nothing for an action that is gone', async () => {
    const { finalize, actions } = await setup([]);
    await actions.trim(0, ACTION_RETENTION.maxAgeMs);
    expect(await finalize({ values: {}, failures: {} })).toEqual({ missing: true });
  });
});
