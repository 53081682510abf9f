/**
 * An action whose finalizer (its parent job) fails its last attempt: its ops are all final, but
 * nothing would ever close it. The orphan sweep does, as failed, saying why. Real Redis and BullMQ;
 * the finalizer is made to fail on purpose, with one attempt so the test needs no retry backoff.
 */
import {
  ACTIONS_QUEUE,
  createLogger,
  createRedisActionStore,
  nodeQueueName,
  toActionObject,
  type ArtifactJob,
  type OpRecord,
} from '@modfleet/common';
import {
  closeOrphanedActions,
  createRedisFleetArtifacts,
  createRedisInflightStore,
  startActionFinalizer,
} from '@modfleet/coordinator';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { openQueueRedis } from '../helpers/redis.js';

const ACTION_UID = 'finalizer-gives-up-0001';
const logger = createLogger({ name: 'test', level: 'silent' });

const op = (node_uid: number): OpRecord => ({
  key: `${node_uid}-0`,
  node_uid,
  op: 'install',
  module_name: 'Stuck',
  version: 1,
  sha256: 'd'.repeat(64),
  status: 'queued',
  progress: 0,
  attempts: 0,
  error: null,
});

describe('a finalizer that fails its last attempt', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('leaves the action to the orphan sweep, which closes it failed with the reason', async () => {
    const { keys, redis, connection, close } = openQueueRedis('finalizer-gives-up');
    closers.push(close);
    const actions = createRedisActionStore(redis, keys);
    const finalizer = startActionFinalizer({
      connection,
      queuePrefix: keys.queuePrefix,
      actions: {
        ...actions,
        markFinished: () => Promise.reject(new Error('the action store refused the write')),
      },
      inflight: createRedisInflightStore(redis, keys),
      artifacts: createRedisFleetArtifacts(redis, keys),
      logger,
    });
    closers.push(() => finalizer.close());
    for (const nodeUid of [1, 2]) {
      const worker = new Worker(
        nodeQueueName(nodeUid),
        async job => {
          const data = job.data as ArtifactJob;
          await actions.recordOp(data.action_uid, { ...op(nodeUid), status: 'completed', progress: 100, attempts: 1 });
          return { result: 'installed' };
        },
        { connection, prefix: keys.queuePrefix },
      );
      closers.push(() => worker.close(true));
    }
    const actionsQueue = new Queue(ACTIONS_QUEUE, { connection, prefix: keys.queuePrefix });
    const flows = new FlowProducer({ connection, prefix: keys.queuePrefix });
    closers.push(() => flows.close());
    closers.push(() => actionsQueue.close());
    const meta = {
      action_uid: ACTION_UID,
      name: 'install_module_artifact',
      creation_time: Math.floor(Date.now() / 1000),
      description: 'Install Stuck@1 on every node',
      object_type: 'module_artifact',
      object_uid: 'Stuck@1',
    };
    await actions.create(meta, [op(1), op(2)]);
    await flows.add({
      name: meta.name,
      queueName: ACTIONS_QUEUE,
      data: { action_uid: ACTION_UID },
      opts: { jobId: ACTION_UID, attempts: 1 },
      children: [1, 2].map(nodeUid => ({
        name: 'install',
        queueName: nodeQueueName(nodeUid),
        data: { action_uid: ACTION_UID, op_key: op(nodeUid).key, node_uid: nodeUid },
        opts: { jobId: `${ACTION_UID}-${nodeUid}`, ignoreDependencyOnFailure: true },
      })),
    });
    const read = async () => {
      const stored = (await actions.get(ACTION_UID))!;
      return toActionObject(stored.meta, stored.ops);
    };

    await pollFor(
      async () => (await actionsQueue.getJob(ACTION_UID))?.getState(),
      state => state === 'failed',
      'the finalizer to fail its only attempt',
    );
    const stuck = await read();
    const closed = await closeOrphanedActions({ actions, actionsQueue, logger, olderThanMs: 0 });
    const action = await read();

    expect(stuck.status).toBe('running');
    expect(closed).toBe(1);
    expect(action.status).toBe('failed');
    expect(action.additional_info.error).toMatch(/closing the action failed 1 times, last: .*refused the write/);
    // The nodes' own outcome stays what they reported.
    expect(Object.values(action.additional_info.pending_ops).map(node => node.status)).toEqual([
      'completed',
      'completed',
    ]);
  });
});
