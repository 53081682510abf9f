import { luaScript } from '../lua-script.js';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import type { ActionMeta, OpRecord } from './action-types.js';

export interface StoredAction {
  meta: ActionMeta;
  ops: OpRecord[];
}

/** The latest op on one node for one artifact: what the fleet view shows as pending or failed. */
export interface NodeOpSummary {
  action_uid: string;
  op: OpRecord['op'];
  status: OpRecord['status'];
  sha256?: string | undefined;
  error: string | null;
  load_check?: OpRecord['load_check'];
}

export interface ActionStore {
  create(meta: ActionMeta, ops: OpRecord[]): Promise<void>;
  /** Records an op's new state; ignored once the action has been trimmed away. */
  recordOp(actionUid: string, op: OpRecord): Promise<void>;
  get(actionUid: string): Promise<StoredAction | undefined>;
  /** Newest first. */
  list(limit: number): Promise<StoredAction[]>;
  markFinished(actionUid: string, finishedAt: number): Promise<void>;
  /** Drops the oldest actions beyond `keep` and any older than `maxAgeMs`. */
  trim(keep: number, maxAgeMs: number, now?: number): Promise<number>;
  /** Latest op per `<node uid>|<module_name>@<version>`. */
  nodeOps(): Promise<Map<string, NodeOpSummary>>;
  /** Drops the latest-op entries this action still owns (a finished delete: nothing left to show). */
  forgetOps(actionUid: string, ops: OpRecord[]): Promise<void>;
  /** Drops every latest-op entry of a node that left the cluster. */
  forgetNode(nodeUid: number): Promise<void>;
}

export const nodeOpKey = (nodeUid: number, moduleName: string, version: number) =>
  `${nodeUid}|${moduleName}@${version}`;

const RECORD_OP = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
return 1`);

const FORGET_OWNED = luaScript(`
for i = 1, #ARGV - 1 do
  local json = redis.call('HGET', KEYS[1], ARGV[i + 1])
  if json and cjson.decode(json).action_uid == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i + 1]) end
end
return 1`);

export function createRedisActionStore(redis: Redis, keys: RedisKeys): ActionStore {
  const parse = (fields: Record<string, string>): StoredAction | undefined => {
    if (!fields.meta) return undefined;
    const ops = Object.entries(fields)
      .filter(([field]) => field.startsWith('op:'))
      .map(([, json]) => JSON.parse(json) as OpRecord)
      .sort((a, b) => a.node_uid - b.node_uid || a.key.localeCompare(b.key));
    return { meta: JSON.parse(fields.meta) as ActionMeta, ops };
  };
  const summary = (actionUid: string, op: OpRecord): NodeOpSummary => ({
    action_uid: actionUid,
    op: op.op,
    status: op.status,
    sha256: op.sha256,
    error: op.error,
    ...(op.load_check && { load_check: op.load_check }),
  });

  const store: ActionStore = {
    async create(meta, ops) {
      const fields: Record<string, string> = { meta: JSON.stringify(meta) };
      for (const op of ops) fields[`op:${op.key}`] = JSON.stringify(op);
      const summaries: Record<string, string> = {};
      for (const op of ops)
        summaries[nodeOpKey(op.node_uid, op.module_name, op.version)] = JSON.stringify(summary(meta.action_uid, op));
      const tx = redis
        .multi()
        .hset(keys.action(meta.action_uid), fields)
        // Milliseconds, not creation_time's seconds, so actions created in one second keep their order.
        .zadd(keys.actions, Date.now(), meta.action_uid);
      if (ops.length > 0) tx.hset(keys.fleetNodeOps, summaries);
      await tx.exec();
    },
    async recordOp(actionUid, op) {
      await RECORD_OP.run(
        redis,
        [keys.action(actionUid), keys.fleetNodeOps],
        [
          `op:${op.key}`,
          JSON.stringify(op),
          nodeOpKey(op.node_uid, op.module_name, op.version),
          JSON.stringify(summary(actionUid, op)),
        ],
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
    async markFinished(actionUid, finishedAt) {
      const current = await store.get(actionUid);
      if (!current) return;
      await redis.hset(keys.action(actionUid), 'meta', JSON.stringify({ ...current.meta, finished_at: finishedAt }));
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
      await FORGET_OWNED.run(redis, [keys.fleetNodeOps], [actionUid, ...fields]);
    },
    async forgetNode(nodeUid) {
      let cursor = '0';
      do {
        const [next, entries] = await redis.hscan(keys.fleetNodeOps, cursor, 'MATCH', `${nodeUid}|*`, 'COUNT', 500);
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
