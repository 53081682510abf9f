import {
  ACTIONS_QUEUE,
  nodeQueueName,
  TERMINAL_OP_STATUSES,
  type ActionStore,
  type Logger,
  type OpRecord,
  type RedisKeys,
  luaScript,
} from '@modfleet/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { childJobId } from '../fleet/dispatcher.js';

/** How many action records are kept, and for how long. */
export const ACTION_RETENTION = { keep: 1000, maxAgeMs: 7 * 24 * 3600 * 1000 } as const;

const RELEASE_INFLIGHT = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`);

/**
 * Runs an action's parent job once every child is done, completed or failed. Agents report
 * progress as they go, but a crash can lose a report: this writes the outcome BullMQ itself
 * recorded for each child, so the action's final state never depends on a lost message.
 */
export function startActionFinalizer(deps: {
  connection: Redis;
  redis: Redis;
  keys: RedisKeys;
  actions: ActionStore;
  logger: Logger;
}): Worker {
  const { keys, actions, logger, redis } = deps;
  const jobKey = (op: OpRecord, actionUid: string) =>
    `${keys.queuePrefix}:${nodeQueueName(op.node_uid)}:${childJobId(actionUid, op.key)}`;

  async function finalize(job: Job<{ action_uid: string }>) {
    const actionUid = job.data.action_uid;
    const stored = await actions.get(actionUid);
    if (!stored) return { missing: true };
    const [values, failures] = await Promise.all([job.getChildrenValues(), job.getIgnoredChildrenFailures()]);
    for (const op of stored.ops) {
      const key = jobKey(op, actionUid);
      let next: OpRecord | undefined;
      if (key in values) next = { ...op, status: 'completed', progress: 100, error: null };
      else if (key in failures) next = { ...op, status: 'failed', error: failures[key] ?? op.error };
      else if (!TERMINAL_OP_STATUSES.includes(op.status))
        next = { ...op, status: 'cancelled', error: op.error ?? 'node removed from the cluster' };
      if (next && (next.status !== op.status || next.error !== op.error)) await actions.recordOp(actionUid, next);
    }
    await actions.markFinished(actionUid, Date.now());
    // A node that deleted an artifact has nothing left to show for it in the fleet view.
    const finished = await actions.get(actionUid);
    await actions.forgetOps(
      actionUid,
      (finished?.ops ?? []).filter(op => op.op === 'delete' && op.status === 'completed'),
    );
    if (stored.meta.dedupe_key)
      await RELEASE_INFLIGHT.run(redis, [keys.fleetInflight(stored.meta.dedupe_key)], [actionUid]);
    const trimmed = await actions.trim(ACTION_RETENTION.keep, ACTION_RETENTION.maxAgeMs);
    logger.info(
      { action_uid: actionUid, completed: Object.keys(values).length, failed: Object.keys(failures).length, trimmed },
      'action finished',
    );
    return { completed: Object.keys(values).length, failed: Object.keys(failures).length };
  }

  const worker = new Worker(ACTIONS_QUEUE, finalize, {
    connection: deps.connection,
    prefix: keys.queuePrefix,
    concurrency: 8,
  });
  worker.on('error', err => logger.error({ err }, 'action finalizer error'));
  worker.on('failed', (job, err) =>
    logger.error({ err, action_uid: job?.data.action_uid }, 'action finalization failed'),
  );
  return worker;
}
