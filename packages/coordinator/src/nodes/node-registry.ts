import {
  ConflictError,
  type NodeRegistrationRequest,
  type NodeView,
  type RedisKeys,
  defineRedisCommands,
} from '@modfleet/common';
import type { Redis, Result } from 'ioredis';
import { NODE_DOWN_AFTER_MS, toNodeObject, type NodeRecord } from './node-object.js';

export interface Registration {
  node: NodeRecord;
  /** true when this uid was not a member before (first start, or rejoining after removal). */
  joined: boolean;
}

export interface NodeRegistry {
  /**
   * Records a node. `serving: false` (it still has to install the certificate this registration
   * signs) records it without a heartbeat: it shows active from its first heartbeat, once peers
   * and clients can reach it with the cluster CA.
   */
  register(request: NodeRegistrationRequest, options?: { serving?: boolean }): Promise<Registration>;
  list(): Promise<NodeView[]>;
  get(uid: number): Promise<NodeView | undefined>;
  uids(): Promise<number[]>;
  remove(uid: number): Promise<boolean>;
}

/** Keeps the uid counter ahead of any uid an agent claims itself (MODFLEET_NODE_ID). */
const CLAIM_UID = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    claimNodeUid(uidSeq: string, uid: string): Result<number, Context>;
  }
}

/** `apiPort`: the coordinator's HTTPS port; a node serving on the same one is shown by its address alone. */
export function createRedisNodeRegistry(
  redis: Redis,
  keys: RedisKeys,
  now: () => number = Date.now,
  apiPort: () => number | undefined = () => undefined,
  downAfterMs = NODE_DOWN_AFTER_MS,
): NodeRegistry {
  const view = (record: NodeRecord, heartbeat: string | null): NodeView =>
    toNodeObject(record, heartbeat === null ? null : Number(heartbeat), now(), apiPort(), downAfterMs);
  defineRedisCommands(redis, { claimNodeUid: { numberOfKeys: 1, lua: CLAIM_UID } });

  const registry: NodeRegistry = {
    async register({ uid: claimed, addr, instance_id, host }, { serving = true } = {}) {
      let uid = claimed;
      if (uid === undefined) uid = await redis.incr(keys.nodeUidSeq);
      else await redis.claimNodeUid(keys.nodeUidSeq, String(uid));
      const [existingJson, heartbeat] = await Promise.all([
        redis.hget(keys.nodes, String(uid)),
        redis.zscore(keys.nodeHeartbeats, String(uid)),
      ]);
      const existing = existingJson ? (JSON.parse(existingJson) as NodeRecord) : undefined;
      if (
        existing &&
        existing.instance_id !== instance_id &&
        heartbeat !== null &&
        now() - Number(heartbeat) <= downAfterMs
      ) {
        throw new ConflictError(
          'node_uid_in_use',
          `Node uid ${uid} is held by another running agent (${existing.addr})`,
        );
      }
      const node: NodeRecord = {
        uid,
        addr,
        instance_id,
        registered_at: existing?.registered_at ?? new Date(now()).toISOString(),
        ...(host && { host }),
      };
      const write = redis.multi().hset(keys.nodes, String(uid), JSON.stringify(node));
      if (serving) write.zadd(keys.nodeHeartbeats, now(), String(uid));
      await write.exec();
      return { node, joined: !existing };
    },
    async list() {
      const [records, heartbeats] = await Promise.all([
        redis.hvals(keys.nodes),
        redis.zrange(keys.nodeHeartbeats, '0', '-1', 'WITHSCORES'),
      ]);
      const beats = new Map<string, string>();
      for (let i = 0; i + 1 < heartbeats.length; i += 2) beats.set(heartbeats[i]!, heartbeats[i + 1]!);
      return records
        .map(json => JSON.parse(json) as NodeRecord)
        .map(record => view(record, beats.get(String(record.uid)) ?? null))
        .sort((a, b) => a.uid - b.uid);
    },
    async get(uid) {
      const [json, heartbeat] = await Promise.all([
        redis.hget(keys.nodes, String(uid)),
        redis.zscore(keys.nodeHeartbeats, String(uid)),
      ]);
      return json ? view(JSON.parse(json) as NodeRecord, heartbeat) : undefined;
    },
    async uids() {
      return (await redis.hkeys(keys.nodes)).map(Number).sort((a, b) => a - b);
    },
    async remove(uid) {
      const [[, removed]] = (await redis
        .multi()
        .hdel(keys.nodes, String(uid))
        .zrem(keys.nodeHeartbeats, String(uid))
        .unlink(keys.nodeInventory(uid), keys.nodeLoadChecks(uid))
        .exec()) as [[unknown, number]];
      return removed === 1;
    },
  };
  return registry;
}
