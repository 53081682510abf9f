/** What the fleet benches read straight from Redis: action records and BullMQ's per-queue event streams. */
import { setTimeout as sleep } from 'node:timers/promises';
import { childJobId, nodeQueueName, type ActionMeta, type OpRecord, type RedisKeys } from '@modfleet/common';
import { QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';

export interface StoredAction {
  meta: ActionMeta;
  ops: OpRecord[];
}

/** An action hash's fields (`meta` and one `op:<key>` per node op) as the record they hold. */
function parseAction(fields: Record<string, string>): StoredAction | undefined {
  if (!fields.meta) return undefined;
  const ops = Object.entries(fields)
    .filter(([field]) => field.startsWith('op:'))
    .map(([, json]) => JSON.parse(json) as OpRecord);
  return { meta: JSON.parse(fields.meta) as ActionMeta, ops };
}

/** The action record as the coordinator stores it (`<prefix>:action:<uid>`), read straight from Redis. */
export async function readAction(redis: Redis, keys: RedisKeys, actionUid: string): Promise<StoredAction | undefined> {
  return parseAction(await redis.hgetall(keys.action(actionUid)));
}

/**
 * Waits until the coordinator's finalizer has closed every action (`finished_at` in its record:
 * the parent job ran and released the push's dedupe key), polling Redis every `intervalMs`.
 * A push of the same bytes before that would be answered with the old action.
 */
export async function waitFinalized(
  redis: Redis,
  keys: RedisKeys,
  actionUids: readonly string[],
  { intervalMs = 10, timeoutMs = 60_000 }: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<Map<string, StoredAction>> {
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, StoredAction>();
  let pending = [...actionUids];
  while (pending.length > 0) {
    const tx = redis.pipeline();
    for (const uid of pending) tx.hgetall(keys.action(uid));
    const results = (await tx.exec()) ?? [];
    const still: string[] = [];
    pending.forEach((uid, index) => {
      const action = parseAction((results[index]?.[1] as Record<string, string> | undefined) ?? {});
      if (action?.meta.finished_at === undefined) still.push(uid);
      else done.set(uid, action);
    });
    pending = still;
    if (pending.length === 0) break;
    if (Date.now() > deadline) throw new Error(`actions not finalized after ${timeoutMs} ms: ${pending.join(', ')}`);
    await sleep(intervalMs);
  }
  return done;
}

export interface ChildTiming {
  node_uid: number;
  /** From the queue's events, ms since the epoch: added (flow add), active (worker pickup), completed. */
  timestamp: number;
  processedOn: number;
  finishedOn: number;
  attemptsMade: number;
  /** The processor's answer: installed, unchanged, deleted… */
  result: string | undefined;
}

/** Milliseconds since the epoch encoded in a Redis stream entry id (`<ms>-<seq>`). */
function streamMs(id: string): number {
  return Number(id.split('-')[0]);
}

/**
 * The timeline of each node job of an action, read from its node queue's BullMQ events stream
 * (`added` → `active` → `completed`): completed jobs are removed at once, but their events stay
 * (the stream keeps the newest ~500 entries, so read right after the action finishes).
 */
export async function childTimings(redis: Redis, keys: RedisKeys, action: StoredAction): Promise<ChildTiming[]> {
  return Promise.all(
    action.ops.map(async op => {
      const jobId = childJobId(action.meta.action_uid, op.key);
      const events = new QueueKeys(keys.queuePrefix).toKey(nodeQueueName(op.node_uid), 'events');
      const entries = await redis.xrevrange(events, '+', '-', 'COUNT', 500);
      const timing: ChildTiming = {
        node_uid: op.node_uid,
        timestamp: 0,
        processedOn: 0,
        finishedOn: 0,
        attemptsMade: 0,
        result: undefined,
      };
      for (const [id, flat] of entries) {
        const fields = new Map<string, string>();
        for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index]!, flat[index + 1]!);
        if (fields.get('jobId') !== jobId) continue;
        const at = streamMs(id);
        const event = fields.get('event');
        // Newest first: keep the earliest `added`, the latest `active` and `completed`.
        if (event === 'added' || event === 'waiting') timing.timestamp = at;
        else if (event === 'active' && timing.processedOn === 0) timing.processedOn = at;
        else if (event === 'completed' && timing.finishedOn === 0) {
          timing.finishedOn = at;
          try {
            timing.result = (JSON.parse(fields.get('returnvalue') ?? '{}') as { result?: string }).result;
          } catch {
            timing.result = undefined;
          }
        } else if (event === 'retries-exhausted' || event === 'failed') timing.attemptsMade += 1;
      }
      if (timing.timestamp === 0) timing.timestamp = timing.processedOn;
      return timing;
    }),
  );
}
