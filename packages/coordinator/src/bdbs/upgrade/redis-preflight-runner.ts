import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parsePreflightAnswer,
  type NodeView,
  type PreflightRequest,
  type RedisKeys,
  type ShardModule,
  type ShardPreflight,
  type UpgradePreflight,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { BdbRecord } from '../bdb-store.js';
import type { PreflightRunner } from './preflight-runner.js';
import { preflightShardRequests, withBorrowedRollbacks } from './preflight-plan.js';
import { preflightVerdict, unansweredShard } from './preflight-verdict.js';

export interface PreflightRunnerDeps {
  redis: Redis;
  keys: RedisKeys;
  /** How long every hosting node has to answer when the caller gives no timeoutMs. */
  defaultTimeoutMs?: number;
  /** How often the answers are read while waiting. */
  pollMs?: number;
  /** Where each node is reached (the registry): a replica's address for the other nodes' copy. */
  nodes?: { list(): Promise<NodeView[]> };
}

/** Loading and saving a shard's data takes seconds per GiB: a minute covers the databases modfleet runs. */
export const DEFAULT_PREFLIGHT_TIMEOUT_MS = 60_000;
/** Requests waiting for a node that is gone: at most this many are kept per node. */
const MAX_WAITING_REQUESTS = 32;
const GRACE_MS = 5_000;

/** The host a node's shards listen on, as the rolling restart reaches them. */
const hostOf = (node: NodeView) => new URL(node.url).hostname.replace(/^\[|\]$/g, '');

/**
 * The pre-flight through Redis: one request per hosting node on its list
 * (`node:<uid>:preflight:requests`) with a nudge on its channel; each agent writes its answer into
 * the request's hash, read until every node answered or the timeout passed. Every key expires.
 */
export function createPreflightRunner(deps: PreflightRunnerDeps): PreflightRunner {
  const { redis, keys } = deps;
  return {
    async run(record: BdbRecord, target: ShardModule[], options): Promise<UpgradePreflight> {
      const timeoutMs = options.timeoutMs ?? deps.defaultTimeoutMs ?? DEFAULT_PREFLIGHT_TIMEOUT_MS;
      const rehearse = options.rehearseRollback;
      const requestId = randomUUID();
      const answersKey = keys.preflightAnswers(requestId);
      const byNode = new Map<number, BdbRecord['placement']>();
      for (const shard of record.placement) byNode.set(shard.node_uid, [...(byNode.get(shard.node_uid) ?? []), shard]);
      if (byNode.size === 0) return preflightVerdict([], rehearse);

      const hosts = new Map((await deps.nodes?.list().catch(() => []))?.map(node => [node.uid, hostOf(node)]));
      const requests = preflightShardRequests(record.placement, target, uid => hosts.get(uid));
      const ttlMs = timeoutMs + GRACE_MS;
      const sending = redis
        .multi()
        .hset(answersKey, 'asked', [...byNode.keys()].join(','))
        .pexpire(answersKey, ttlMs);
      for (const [nodeUid, shards] of byNode) {
        const request: PreflightRequest = {
          request_id: requestId,
          node_uid: nodeUid,
          shards: shards.map(shard => requests.get(shard.plan.shard_uid)!),
          rehearse_rollback: rehearse,
          timeout_ms: timeoutMs,
          sent_at: Date.now(),
        };
        const list = keys.preflightRequests(nodeUid);
        sending
          .rpush(list, JSON.stringify(request))
          .ltrim(list, -MAX_WAITING_REQUESTS, -1)
          .pexpire(list, ttlMs)
          .publish(keys.preflightNudge(nodeUid), requestId);
      }
      await sending.exec();

      const deadline = Date.now() + timeoutMs;
      const answered = new Map<number, ShardPreflight[]>();
      try {
        for (;;) {
          for (const [field, json] of Object.entries(await redis.hgetall(answersKey))) {
            const answer = field === 'asked' ? undefined : parsePreflightAnswer(json);
            if (answer && byNode.has(answer.node_uid)) answered.set(answer.node_uid, answer.shards);
          }
          if (answered.size === byNode.size || Date.now() >= deadline) break;
          await sleep(Math.min(deps.pollMs ?? 100, Math.max(1, deadline - Date.now())));
        }
      } finally {
        await redis.del(answersKey).catch(() => 0);
      }

      const shards = record.placement.map(({ node_uid, plan }) => {
        const said = answered.get(node_uid)?.find(shard => shard.shard_uid === plan.shard_uid);
        const rehearses = rehearse && requests.get(plan.shard_uid)?.rehearse !== false;
        return said ?? unansweredShard({ node_uid, shard_uid: plan.shard_uid, role: plan.role }, timeoutMs, rehearses);
      });
      return preflightVerdict(rehearse ? withBorrowedRollbacks(shards, requests) : shards, rehearse);
    },
  };
}
