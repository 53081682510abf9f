import { rm } from 'node:fs/promises';
import {
  parsePreflightRequest,
  type Logger,
  type PreflightAnswer,
  type PreflightRequest,
  type RedisKeys,
  type ShardPlan,
  type ShardPreflight,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import {
  preflightDirOf,
  runShardPreflight,
  type PreflightStepTimes,
  type ShardPreflightDeps,
} from './shard-preflight.js';

export interface PreflightResponderDeps extends ShardPreflightDeps {
  redis: Redis;
  /** A connection in subscriber mode (shared with other watchers: only this node's nudge is handled). */
  subscriber: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** How often the list is read without a nudge (a nudge lost while Redis reconnected). */
  pollMs?: number;
}

export interface PreflightResponder {
  stop(): Promise<void>;
}

/** An answer outlives the coordinator's wait by this long, then expires. */
export const PREFLIGHT_ANSWER_TTL_S = 120;
/** What the agent keeps back from the coordinator's wait to write its answer in time. */
const ANSWER_MARGIN_MS = 500;

/**
 * Answers the coordinator's pre-flight requests for this node, one at a time: each shard of the
 * request is rehearsed on a throwaway redis-server (runShardPreflight) and the answers go to the
 * request's answers hash. A request whose coordinator stopped waiting (its hash expired) is skipped.
 */
export async function startPreflightResponder(deps: PreflightResponderDeps): Promise<PreflightResponder> {
  const { redis, subscriber, keys, logger } = deps;
  const channel = keys.preflightNudge(deps.nodeUid);
  const requests = keys.preflightRequests(deps.nodeUid);
  let stopped = false;
  let draining: Promise<void> | undefined;
  let again = false;
  // Left behind by an agent killed mid-pre-flight.
  await rm(preflightDirOf(deps.dataDir), { recursive: true, force: true });

  async function plansByShard(): Promise<Map<number, ShardPlan>> {
    const plans = Object.values(await redis.hgetall(keys.nodeShards(deps.nodeUid)));
    return new Map(plans.map(json => JSON.parse(json) as ShardPlan).map(plan => [plan.shard_uid, plan]));
  }

  async function answer(request: PreflightRequest): Promise<void> {
    const answersKey = keys.preflightAnswers(request.request_id);
    if (!(await redis.exists(answersKey))) {
      logger.info({ request: request.request_id }, 'pre-flight request no longer awaited: skipped');
      return;
    }
    const plans = await plansByShard();
    const timeoutMs = Math.max(1, request.timeout_ms - ANSWER_MARGIN_MS);
    const deadline = Date.now() + timeoutMs;
    const shards: ShardPreflight[] = [];
    const steps: Record<number, PreflightStepTimes> = {};
    for (const { shard_uid, target, rehearse, copy_from } of request.shards) {
      const plan = plans.get(shard_uid);
      if (!plan) {
        const error = `node ${deps.nodeUid} does not host shard ${shard_uid}`;
        shards.push({
          node_uid: deps.nodeUid,
          shard_uid,
          role: 'master',
          load: { ok: false, error },
          data: { ok: false, error },
          duration_ms: 0,
        });
        continue;
      }
      // Another shard with the same data may rehearse for the database (the coordinator says so).
      const rehearseRollback = request.rehearse_rollback && rehearse !== false;
      const budget = Math.max(1, deadline - Date.now());
      steps[shard_uid] = {};
      shards.push(
        await runShardPreflight(deps, plan, target, {
          rehearseRollback,
          timeoutMs: budget,
          ...(copy_from && { copyFrom: copy_from }),
          steps: steps[shard_uid],
        }),
      );
    }
    const body: PreflightAnswer = { node_uid: deps.nodeUid, shards };
    await redis
      .multi()
      .hset(answersKey, String(deps.nodeUid), JSON.stringify(body))
      .expire(answersKey, PREFLIGHT_ANSWER_TTL_S)
      .exec();
    logger.info({ request: request.request_id, shards: shards.length, steps_ms: steps }, 'pre-flight answered');
  }

  async function drain() {
    for (;;) {
      if (stopped) return;
      const json = await redis.lpop(requests);
      if (json === null) return;
      const request = parsePreflightRequest(json);
      if (!request) {
        logger.warn({ json: json.slice(0, 200) }, 'not a pre-flight request: dropped');
        continue;
      }
      await answer(request).catch((err: unknown) =>
        logger.error({ err, request: request.request_id }, 'pre-flight could not answer'),
      );
    }
  }

  const kick = () => {
    if (stopped) return;
    if (draining) {
      again = true;
      return;
    }
    draining = (async () => {
      do {
        again = false;
        await drain().catch((err: unknown) => logger.error({ err }, 'pre-flight requests could not be read'));
      } while (again && !stopped);
      draining = undefined;
    })();
  };

  const onMessage = (from: string) => {
    if (from === channel) kick();
  };
  subscriber.on('message', onMessage);
  await subscriber.subscribe(channel);
  const timer = setInterval(kick, deps.pollMs ?? 2000);
  timer.unref();
  kick();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      subscriber.off('message', onMessage);
      await subscriber.unsubscribe(channel).catch(() => undefined);
      await draining;
    },
  };
}
