import { cacheClusterSettings, resolveTimings, type NodeInventoryStore } from '@modfleet/common';
import {
  createFakeActionStore,
  createFakeClusterSettingsStore,
  createFakeNodeInventoryStore,
  createFakeUserStore,
} from '@modfleet/common/testing';
import { createFakeInflightStore } from './actions/fake-inflight-store.js';
import { createFakeEventLog } from './audit/event-log.js';
import type { CoordinatorConfig } from './config.js';
import { createFakeFleetArtifacts } from './fleet/desired-state/fake-fleet-artifacts.js';
import { createFakeModuleStore } from './modules/fake-module-store.js';
import { createFakeNodeRegistry, type FakeNodeRegistry } from './nodes/fake-node-registry.js';
import type { CoordinatorServices } from './services.js';

/** The coordinator's services in memory: what a test reaches into besides the routes. */
export interface FakeCoordinatorServices extends CoordinatorServices {
  nodes: FakeNodeRegistry;
  inventory: NodeInventoryStore & { held: Map<number, Map<string, string>> };
  events: ReturnType<typeof createFakeEventLog>;
}

/** `createCoordinatorServices`' twin: every store in memory, with the same rules (see test/contracts). */
export function createFakeCoordinatorServices(
  config: Partial<Pick<CoordinatorConfig, 'testTimings'>> = {},
  now: () => number = Date.now,
): FakeCoordinatorServices {
  const timings = resolveTimings(config.testTimings);
  return {
    timings,
    users: createFakeUserStore(),
    settings: cacheClusterSettings(createFakeClusterSettingsStore()),
    modules: createFakeModuleStore(),
    nodes: createFakeNodeRegistry(now, timings.nodeDownAfterMs),
    actions: createFakeActionStore(now),
    inventory: createFakeNodeInventoryStore(),
    fleetArtifacts: createFakeFleetArtifacts(),
    inflight: createFakeInflightStore(),
    events: createFakeEventLog(),
  };
}
