/** The store contracts against the real Redis stores (the fakes pass the same ones in the unit project). */
import {
  createRedisActionStore,
  createRedisClusterSettingsStore,
  createRedisNodeInventoryStore,
  createRedisUserStore,
  redisKeys,
  sendHeartbeat,
} from '@modfleet/common';
import {
  createRedisBdbStore,
  createRedisFleetArtifacts,
  createRedisInflightStore,
  createRedisModuleStore,
  createRedisNodeRegistry,
} from '@modfleet/coordinator';
import { bdbStoreContract } from '../contracts/bdb-store-contract.js';
import { Redis } from 'ioredis';
import { afterAll, afterEach } from 'vitest';
import { actionStoreContract } from '../contracts/action-store-contract.js';
import { moduleStoreContract, nodeRegistryContract } from '../contracts/coordinator-store-contracts.js';
import {
  clusterSettingsStoreContract,
  fleetArtifactsContract,
  inflightStoreContract,
  nodeInventoryStoreContract,
} from '../contracts/small-store-contracts.js';
import { userStoreContract } from '../contracts/user-store-contract.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const redis = new Redis(REDIS_URL);
const prefixes: string[] = [];
/** A fresh prefix per store, so each test starts empty. */
const keys = () => {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return redisKeys(prefix);
};
afterEach(async () => {
  await Promise.all(prefixes.splice(0).map(deletePrefix));
});
afterAll(() => redis.disconnect());

actionStoreContract('redis', () => createRedisActionStore(redis, keys()));
userStoreContract('redis', () => createRedisUserStore(redis, keys()));
clusterSettingsStoreContract('redis', () => createRedisClusterSettingsStore(redis, keys()));
nodeInventoryStoreContract('redis', () => createRedisNodeInventoryStore(redis, keys()));
fleetArtifactsContract('redis', () => createRedisFleetArtifacts(redis, keys()));
inflightStoreContract('redis', () => createRedisInflightStore(redis, keys()));
bdbStoreContract('redis', () => {
  const bdbKeys = keys();
  return {
    store: createRedisBdbStore(redis, bdbKeys),
    report: async (shardUid, report) => {
      if (report) await redis.hset(bdbKeys.shardReports, String(shardUid), JSON.stringify(report));
      else await redis.hdel(bdbKeys.shardReports, String(shardUid));
    },
  };
});
moduleStoreContract('redis', () => createRedisModuleStore(redis, keys()));
nodeRegistryContract('redis', now => {
  const registryKeys = keys();
  return {
    registry: createRedisNodeRegistry(redis, registryKeys, now),
    heartbeat: uid => sendHeartbeat(redis, registryKeys, uid, now()),
  };
});
