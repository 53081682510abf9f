import type { Redis } from 'ioredis';
import { artifactKey, type RedisKeys } from '../redis-keys.js';
import type { LoadCheck } from '../modules/load-check-types.js';
import type { NodeInventoryStore } from './node-inventory-store.js';

/** One hash per node, rewritten whole at each report. */
export function createRedisNodeInventoryStore(redis: Redis, keys: RedisKeys): NodeInventoryStore {
  return {
    async report(nodeUid, artifacts) {
      const key = keys.nodeInventory(nodeUid);
      const checksKey = keys.nodeLoadChecks(nodeUid);
      const tx = redis.multi().del(key).del(checksKey);
      if (artifacts.length > 0)
        tx.hset(key, Object.fromEntries(artifacts.map(a => [artifactKey(a.module_name, a.version), a.sha256])));
      const checked = artifacts.filter(a => a.load_check);
      if (checked.length > 0)
        tx.hset(
          checksKey,
          Object.fromEntries(checked.map(a => [artifactKey(a.module_name, a.version), JSON.stringify(a.load_check)])),
        );
      await tx.exec();
    },
    async read(nodeUid) {
      return new Map(Object.entries(await redis.hgetall(keys.nodeInventory(nodeUid))));
    },
    async readLoadChecks(nodeUid) {
      const all = await redis.hgetall(keys.nodeLoadChecks(nodeUid));
      return new Map(Object.entries(all).map(([key, json]) => [key, JSON.parse(json) as LoadCheck]));
    },
  };
}
