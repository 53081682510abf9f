import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import { patchEntries, withDefaults, type ClusterSettingsStore } from './cluster-settings-store.js';

/** Settings in a CCS hash; a change is announced so every service drops its cached copy. */
export function createRedisClusterSettingsStore(redis: Redis, keys: RedisKeys): ClusterSettingsStore {
  const store: ClusterSettingsStore = {
    async get() {
      const stored = await redis.hgetall(keys.cluster);
      return withDefaults(Object.fromEntries(Object.entries(stored).map(([key, json]) => [key, JSON.parse(json)])));
    },
    async update(patch) {
      const entries = patchEntries(patch);
      if (entries.length > 0) {
        await redis.hset(keys.cluster, Object.fromEntries(entries.map(([key, value]) => [key, JSON.stringify(value)])));
        await redis.publish(keys.clusterChanged, '1');
      }
      return store.get();
    },
  };
  return store;
}
