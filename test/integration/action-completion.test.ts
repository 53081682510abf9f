/**
 * When an action reads as finished, against the real Redis and BullMQ: the coordinator's
 * dispatcher and finalizer, and a node worker that reports as an agent does and then holds
 * its job, so the moment between "every node reported done" and "BullMQ closed the action"
 * can be looked at for as long as the test needs.
 */
import {
  createLogger,
  createRedisActionStore,
  nodeQueueName,
  toActionObject,
  type ActionStore,
  type ArtifactJob,
} from '@modfleet/common';
import {
  createDispatcher,
  createRedisFleetArtifacts,
  createRedisInflightStore,
  startActionFinalizer,
} from '@modfleet/coordinator';
import { FlowProducer, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { openQueueRedis } from '../helpers/redis.js';

const SHA = 'c'.repeat(64);
const DEDUPE_KEY = `install|Held@1|${SHA}|all`;

const push = () => ({
  name: 'install_module_artifact',
  description: 'Install Held@1 on every node',
  object_type: 'module_artifact',
  object_uid: 'Held@1',
  dedupeKey: DEDUPE_KEY,
  ops: [1, 2].map(node_uid => ({ node_uid, op: 'install' as const, module_name: 'Held', version: 1, sha256: SHA })),
});

/** A gate the node workers wait on after reporting their op done, as if the agent were slow to return. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>(resolve => (open = resolve));
  return { open, opened };
}

describe('an action reads as finished only once BullMQ has closed it', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  function setup(options: { finalizerActions?: (actions: ActionStore) => ActionStore } = {}) {
    const { keys, redis, connection, close } = openQueueRedis('action-completion');
    closers.push(close);
    const actions = createRedisActionStore(redis, keys);
    const inflight = createRedisInflightStore(redis, keys);
    const flows = new FlowProducer({ connection, prefix: keys.queuePrefix });
    closers.push(() => flows.close());
    const finalizer = startActionFinalizer({
      connection,
      queuePrefix: keys.queuePrefix,
      actions: options.finalizerActions?.(actions) ?? actions,
      inflight,
      artifacts: createRedisFleetArtifacts(redis, keys),
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    closers.push(() => finalizer.close());
    const held = gate();
    const reported: string[] = [];
    for (const nodeUid of [1, 2]) {
      const worker = new Worker(
        nodeQueueName(nodeUid),
        async job => {
          const data = job.data as ArtifactJob;
          const stored = (await actions.get(data.action_uid))!.ops.find(op => op.key === data.op_key)!;
          await actions.recordOp(data.action_uid, { ...stored, status: 'completed', progress: 100, attempts: 1 });
          reported.push(data.op_key);
          await held.opened;
          return { result: 'unchanged' };
        },
        { connection, prefix: keys.queuePrefix },
      );
      closers.push(() => worker.close(true));
    }
    const dispatcher = createDispatcher({ inflight, actions, flows });
    const read = async (uid: string) => {
      const stored = (await actions.get(uid))!;
      return toActionObject(stored.meta, stored.ops);
    };
    return { dispatcher, read, held, reported };
  }

  it('keeps an action running while its nodes have reported done but their jobs have not ended, then a same push starts anew', async () => {
    const { dispatcher, read, held, reported } = setup();
    const first = await dispatcher.dispatch(push());
    await pollFor(
      () => Promise.resolve(reported.length),
      count => count === 2,
      'both nodes reported their op done',
    );

    const closing = await read(first.action_uid);
    const joined = await dispatcher.dispatch(push());

    expect(closing.status).toBe('running');
    expect(Object.values(closing.additional_info.pending_ops).map(op => op.status)).toEqual(['completed', 'completed']);
    expect(joined).toEqual({ action_uid: first.action_uid, reused: true });

    held.open();
    const done = await pollFor(
      () => read(first.action_uid),
      action => action.status === 'completed' || action.status === 'failed',
      'the action closed',
      { timeoutMs: 20_000, intervalMs: 5 },
    );
    // The first moment it reads completed, an identical push is a new action.
    const later = await dispatcher.dispatch(push());

    expect(done.status).toBe('completed');
    expect(later.reused).toBe(false);
    expect(later.action_uid).not.toBe(first.action_uid);
  });

  it('closes an action even when its finalizer fails once', async () => {
    let failures = 0;
    const { dispatcher, read, held } = setup({
      finalizerActions: actions => ({
        ...actions,
        markFinished: async (uid, at) => {
          if (failures++ === 0) throw new Error('Redis went away for a moment');
          await actions.markFinished(uid, at);
        },
      }),
    });
    held.open();

    const { action_uid } = await dispatcher.dispatch(push());
    const done = await pollFor(
      () => read(action_uid),
      action => action.status === 'completed' || action.status === 'failed',
      'the action closed after a retry',
      { timeoutMs: 20_000 },
    );

    expect(done.status).toBe('completed');
    expect(failures).toBe(2);
  });
});
