/**
 * A node job that stalled more times than BullMQ allows is failed by BullMQ on its next pickup
 * without running any processor, so no agent records it: the coordinator's finalizer writes it
 * into the action, from BullMQ's failed reason. Against the real Redis and BullMQ.
 */
import { createLogger, createRedisActionStore, nodeQueueName, toActionObject } from '@modfleet/common';
import {
  createDispatcher,
  createRedisFleetArtifacts,
  createRedisInflightStore,
  startActionFinalizer,
} from '@modfleet/coordinator';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { openQueueRedis } from '../helpers/redis.js';

const SHA = 'd'.repeat(64);

describe('an op whose job stalled out', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('ends failed in its action, with BullMQ’s reason, though no processor ever finished it', async () => {
    const { keys, redis, connection, close } = openQueueRedis('op-stalled-out');
    closers.push(close);
    const actions = createRedisActionStore(redis, keys);
    const inflight = createRedisInflightStore(redis, keys);
    const flows = new FlowProducer({ connection, prefix: keys.queuePrefix });
    closers.push(() => flows.close());
    const artifacts = createRedisFleetArtifacts(redis, keys);
    // Still wanted by the fleet: the failure is not superseded by a delete.
    await artifacts.upsert({
      module_name: 'Stuck',
      version: 1,
      semantic_version: '0.0.1',
      dependencies: [],
      sha256: SHA,
      size: 4096,
      nodes: [1],
      created_at: new Date().toISOString(),
    });
    const finalizer = startActionFinalizer({
      connection,
      queuePrefix: keys.queuePrefix,
      actions,
      inflight,
      artifacts,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    closers.push(() => finalizer.close());
    const queue = new Queue(nodeQueueName(1), { connection, prefix: keys.queuePrefix });
    closers.push(() => queue.close());

    const { action_uid } = await createDispatcher({ inflight, actions, flows }).dispatch({
      name: 'install_module_artifact',
      description: 'Install Stuck@1 on node 1',
      object_type: 'module_artifact',
      object_uid: 'Stuck@1',
      dedupeKey: `install|Stuck@1|${SHA}|1`,
      ops: [{ node_uid: 1, op: 'install', module_name: 'Stuck', version: 1, sha256: SHA }],
    });
    // A worker takes the job and dies with it: its lock is no longer renewed.
    const dying = new Worker(nodeQueueName(1), () => new Promise<never>(() => undefined), {
      connection,
      prefix: keys.queuePrefix,
      lockDuration: 500,
      // Each worker's stalled check holds off the others' for this long.
      stalledInterval: 250,
    });
    await pollFor(
      () => queue.getActiveCount(),
      count => count === 1,
      'the dying worker took the job',
    );
    await dying.close(true);
    // The next worker finds the job stalled, once more than it allows.
    let processed = 0;
    const next = new Worker(
      nodeQueueName(1),
      () => {
        processed += 1;
        return Promise.resolve({ result: 'installed' });
      },
      { connection, prefix: keys.queuePrefix, lockDuration: 500, stalledInterval: 250, maxStalledCount: 0 },
    );
    closers.push(() => next.close(true));

    const closed = await pollFor(
      async () => {
        const stored = (await actions.get(action_uid))!;
        return toActionObject(stored.meta, stored.ops);
      },
      action => action.status === 'completed' || action.status === 'failed',
      'the action closed',
      { timeoutMs: 30_000 },
    );

    expect(processed).toBe(0);
    expect(closed.status).toBe('failed');
    expect(closed.additional_info.pending_ops['1']).toMatchObject({
      status: 'failed',
      error: 'job stalled more than allowable limit',
    });
  });
});
