import { ACTIONS_QUEUE, type ActionStore, type Logger } from '@modfleet/common';
import type { Queue } from 'bullmq';

/**
 * An action whose record exists but whose flow was never added (the coordinator died in
 * between) would otherwise look queued forever: close it as failed at the next start.
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
    if (await actionsQueue.getJob(meta.action_uid)) continue;
    for (const op of ops.filter(op => op.status === 'queued' || op.status === 'running')) {
      await actions.recordOp(meta.action_uid, {
        ...op,
        status: 'failed',
        error: 'the coordinator stopped before this action was queued; push again',
      });
    }
    await actions.markFinished(meta.action_uid, Date.now());
    closed += 1;
  }
  if (closed > 0) logger.warn({ closed }, 'closed actions that were never queued');
  return closed;
}
