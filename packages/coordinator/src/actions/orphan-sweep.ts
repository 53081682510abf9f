import { ACTIONS_QUEUE, TERMINAL_OP_STATUSES, type ActionStore, type Logger } from '@modfleet/common';
import type { Job, Queue } from 'bullmq';

const NEVER_QUEUED = 'the coordinator stopped before this action was queued; push again';

/** Why a failed finalizer job will never close its action: it used its last attempt. */
async function finalizerGaveUp(job: Job): Promise<string | undefined> {
  if ((await job.getState()) !== 'failed') return undefined;
  return `closing the action failed ${job.attemptsMade} times, last: ${job.failedReason || 'no reason given'}`;
}

/**
 * Actions nothing else will ever close, closed as failed with the reason:
 * - one whose record exists but whose flow was never added (the coordinator died in between)
 *   would otherwise look queued forever;
 * - one whose finalizer (its parent job) failed its last attempt would otherwise stay running
 *   for ever, though its ops are all final.
 */
export async function closeOrphanedActions(deps: {
  actions: ActionStore;
  actionsQueue: Queue;
  logger: Logger;
  olderThanMs?: number;
}): Promise<number> {
  const { actions, actionsQueue, logger, olderThanMs = 60_000 } = deps;
  if (actionsQueue.name !== ACTIONS_QUEUE) throw new Error('closeOrphanedActions needs the actions queue');
  let closed = 0;
  for (const { meta, ops } of await actions.list(1000)) {
    if (meta.finished_at !== undefined || meta.creation_time * 1000 > Date.now() - olderThanMs) continue;
    const job = await actionsQueue.getJob(meta.action_uid);
    const reason = job ? await finalizerGaveUp(job) : NEVER_QUEUED;
    if (!reason) continue;
    for (const op of ops.filter(op => !TERMINAL_OP_STATUSES.includes(op.status))) {
      await actions.recordOp(meta.action_uid, { ...op, status: 'failed', error: reason });
    }
    await actions.markFinished(meta.action_uid, Date.now(), job ? reason : undefined);
    logger.warn({ action_uid: meta.action_uid, reason }, 'closed an action nothing else would close');
    closed += 1;
  }
  return closed;
}
