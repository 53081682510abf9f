import type { Redis } from 'ioredis';
import { artifactKey, type RedisKeys } from '../redis-keys.js';
import type { NodeInventoryStore } from './node-inventory-store.js';

/** One hash per node, rewritten whole at each report. */
export function createRedisNodeInventoryStore(redis: Redis, keys: RedisKeys): NodeInventoryStore {
  return {
    async report(nodeUid, artifacts) {
      const key = keys.nodeInventory(nodeUid);
      const tx = redis.multi().del(key);
      if (artifacts.length > 0)
        tx.hset(key, Object.fromEntries(artifacts.map(a => [artifactKey(a.module_name, a.version), a.sha256])));
      await tx.exec();
    },
    async read(nodeUid) {
      return new Map(Object.entries(await redis.hgetall(keys.nodeInventory(nodeUid))));
    },
  };
}
