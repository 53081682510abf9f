import type { Redis, Result } from 'ioredis';
import { defineRedisCommands } from '../redis-commands.js';
import { nodeOpKey, nodeOpsOfNode, type RedisKeys } from '../redis-keys.js';
import type { ActionMeta, OpRecord } from '../fleet/action-types.js';
import { byNodeThenKey, opSummary, type ActionStore, type NodeOpSummary, type StoredAction } from './action-store.js';

// An op once cancelled stays so (a node's late failure report must not undo the finalizer's
// "superseded"), and a closed action keeps the outcome it was closed with.
const RECORD_OP = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local meta = redis.call('HGET', KEYS[1], 'meta')
if meta then
  local finished = cjson.decode(meta).finished_at
  if finished and finished ~= cjson.null then return 0 end
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and cjson.decode(current).status == 'cancelled' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
return 1`;

/** Removes the node-ops fields (ARGV[2..]) that action ARGV[1] still owns; a later action's stay. */
const FORGET_OWNED = `
for i = 1, #ARGV - 1 do
  local json = redis.call('HGET', KEYS[1], ARGV[i + 1])
  if json and cjson.decode(json).action_uid == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i + 1]) end
end
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: recorded; 0: the action is gone or closed, or the op was cancelled. */
    recordActionOp(
      action: string,
      nodeOps: string,
      opField: string,
      opJson: string,
      nodeOpField: string,
      summaryJson: string,
    ): Result<number, Context>;
    forgetOwnedNodeOps(nodeOps: string, actionUid: string, ...fields: string[]): Result<number, Context>;
  }
}

export function createRedisActionStore(redis: Redis, keys: RedisKeys): ActionStore {
  defineRedisCommands(redis, {
    recordActionOp: { numberOfKeys: 2, lua: RECORD_OP },
    forgetOwnedNodeOps: { numberOfKeys: 1, lua: FORGET_OWNED },
  });
  const parse = (fields: Record<string, string>): StoredAction | undefined => {
    if (!fields.meta) return undefined;
    const ops = Object.entries(fields)
      .filter(([field]) => field.startsWith('op:'))
      .map(([, json]) => JSON.parse(json) as OpRecord)
      .sort(byNodeThenKey);
    return { meta: JSON.parse(fields.meta) as ActionMeta, ops };
  };
  const store: ActionStore = {
    async create(meta, ops) {
      const fields: Record<string, string> = { meta: JSON.stringify(meta) };
      for (const op of ops) fields[`op:${op.key}`] = JSON.stringify(op);
      const summaries: Record<string, string> = {};
      for (const op of ops)
        summaries[nodeOpKey(op.node_uid, op.module_name, op.version)] = JSON.stringify(opSummary(meta.action_uid, op));
      const tx = redis
        .multi()
        .hset(keys.action(meta.action_uid), fields)
        // Milliseconds, not creation_time's seconds, so actions created in one second keep their order.
        .zadd(keys.actions, Date.now(), meta.action_uid);
      if (ops.length > 0) tx.hset(keys.fleetNodeOps, summaries);
      await tx.exec();
    },
    async recordOp(actionUid, op) {
      await redis.recordActionOp(
        keys.action(actionUid),
        keys.fleetNodeOps,
        `op:${op.key}`,
        JSON.stringify(op),
        nodeOpKey(op.node_uid, op.module_name, op.version),
        JSON.stringify(opSummary(actionUid, op)),
      );
    },
    async get(actionUid) {
      return parse(await redis.hgetall(keys.action(actionUid)));
    },
    async list(limit) {
      const uids = await redis.zrevrange(keys.actions, '0', String(limit - 1));
      const tx = redis.pipeline();
      for (const uid of uids) tx.hgetall(keys.action(uid));
      const results = (await tx.exec()) ?? [];
      return results
        .map(([, fields]) => parse(fields as Record<string, string>))
        .filter(action => action !== undefined);
    },
    async markFinished(actionUid, finishedAt, error) {
      const current = await store.get(actionUid);
      if (!current) return;
      const meta = { ...current.meta, finished_at: finishedAt, ...(error !== undefined && { error }) };
      await redis.hset(keys.action(actionUid), 'meta', JSON.stringify(meta));
    },
    async trim(keep, maxAgeMs, now = Date.now()) {
      const overflow = await redis.zrange(keys.actions, '0', String(-keep - 1));
      const expired = await redis.zrangebyscore(keys.actions, '0', String(now - maxAgeMs));
      const doomed = [...new Set([...overflow, ...expired])];
      if (doomed.length === 0) return 0;
      const tx = redis.multi().zrem(keys.actions, ...doomed);
      for (const uid of doomed) tx.unlink(keys.action(uid));
      await tx.exec();
      return doomed.length;
    },
    async forgetOps(actionUid, ops) {
      if (ops.length === 0) return;
      const fields = ops.map(op => nodeOpKey(op.node_uid, op.module_name, op.version));
      await redis.forgetOwnedNodeOps(keys.fleetNodeOps, actionUid, ...fields);
    },
    async forgetNode(nodeUid) {
      let cursor = '0';
      do {
        const [next, entries] = await redis.hscan(
          keys.fleetNodeOps,
          cursor,
          'MATCH',
          `${nodeOpsOfNode(nodeUid)}*`,
          'COUNT',
          500,
        );
        cursor = next;
        const fields = entries.filter((_entry, index) => index % 2 === 0);
        if (fields.length > 0) await redis.hdel(keys.fleetNodeOps, ...fields);
      } while (cursor !== '0');
    },
    async nodeOps() {
      const all = await redis.hgetall(keys.fleetNodeOps);
      return new Map(Object.entries(all).map(([key, json]) => [key, JSON.parse(json) as NodeOpSummary]));
    },
  };
  return store;
}
