import {
  cacheClusterSettings,
  createRedisActionStore,
  createRedisClusterSettingsStore,
  createRedisLoginLockout,
  createRedisUserStore,
  redisKeys,
  resolveTimings,
  type ActionStore,
  type CachedClusterSettingsStore,
  type LoginLockout,
  type ServiceTimings,
  type UserStore,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { AgentConfig } from './config.js';

/**
 * What the agent reads and writes in Redis: the CCS it authenticates against (users, settings,
 * login lockout) and the fleet actions its ops report into. Its artifacts live on its own disk
 * (`openDiskArtifactStore`). `createAgentServices` builds them on Redis for `startAgent`;
 * `createFakeAgentServices` builds the same in memory, so route tests run `createAgentApp` in
 * process without Redis.
 */
export interface AgentServices {
  timings: ServiceTimings;
  users: UserStore;
  /** Login lockout counters (absent: users are never locked). */
  lockout?: LoginLockout;
  settings: CachedClusterSettingsStore;
  actions: ActionStore;
}

export function createAgentServices(config: Pick<AgentConfig, 'prefix' | 'testTimings'>, redis: Redis): AgentServices {
  const keys = redisKeys(config.prefix);
  return {
    timings: resolveTimings(config.testTimings),
    users: createRedisUserStore(redis, keys),
    lockout: createRedisLoginLockout(redis, keys),
    settings: cacheClusterSettings(createRedisClusterSettingsStore(redis, keys)),
    actions: createRedisActionStore(redis, keys),
  };
}
