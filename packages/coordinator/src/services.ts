import {
  cacheClusterSettings,
  createRedisActionStore,
  createRedisClusterSettingsStore,
  createRedisLoginLockout,
  createRedisNodeInventoryStore,
  createRedisUserStore,
  redisKeys,
  resolveTimings,
  type ActionStore,
  type CachedClusterSettingsStore,
  type LoginLockout,
  type NodeInventoryStore,
  type ServiceTimings,
  type UserStore,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import { createRedisInflightStore, type InflightStore } from './actions/inflight-store.js';
import { createRedisEventLog, type EventLog } from './audit/event-log.js';
import type { CoordinatorConfig } from './config.js';
import { createRedisFleetArtifacts, type FleetArtifacts } from './fleet/desired-state/fleet-artifacts.js';
import { createRedisModuleStore, type ModuleStore } from './modules/module-store.js';
import { createRedisNodeRegistry, type NodeRegistry } from './nodes/node-registry.js';

/**
 * The stores the coordinator's routes and fleet work on: the CCS (users, settings, modules), the
 * node registry and the fleet's state. `createCoordinatorServices` builds them on Redis for
 * `startCoordinator`; `createFakeCoordinatorServices` builds the same in memory, so route tests
 * run `createCoordinatorApp` in process without Redis.
 */
export interface CoordinatorServices {
  timings: ServiceTimings;
  users: UserStore;
  /** Login lockout counters (absent: users are never locked). */
  lockout?: LoginLockout;
  settings: CachedClusterSettingsStore;
  modules: ModuleStore;
  nodes: NodeRegistry;
  actions: ActionStore;
  inventory: NodeInventoryStore;
  fleetArtifacts: FleetArtifacts;
  inflight: InflightStore;
  events: EventLog;
}

/** `apiPort`: the port the coordinator listens on, once it does (a node on the same port is shown by its address alone). */
export function createCoordinatorServices(
  config: Pick<CoordinatorConfig, 'prefix' | 'testTimings'>,
  redis: Redis,
  apiPort: () => number | undefined = () => undefined,
): CoordinatorServices {
  const keys = redisKeys(config.prefix);
  const timings = resolveTimings(config.testTimings);
  return {
    timings,
    users: createRedisUserStore(redis, keys),
    lockout: createRedisLoginLockout(redis, keys),
    settings: cacheClusterSettings(createRedisClusterSettingsStore(redis, keys)),
    modules: createRedisModuleStore(redis, keys),
    nodes: createRedisNodeRegistry(redis, keys, Date.now, apiPort, timings.nodeDownAfterMs),
    actions: createRedisActionStore(redis, keys),
    inventory: createRedisNodeInventoryStore(redis, keys),
    fleetArtifacts: createRedisFleetArtifacts(redis, keys),
    inflight: createRedisInflightStore(redis, keys),
    events: createRedisEventLog(redis, keys),
  };
}
