import { cacheClusterSettings, resolveTimings } from '@modfleet/common';
import { createFakeActionStore, createFakeClusterSettingsStore, createFakeUserStore } from '@modfleet/common/testing';
import type { AgentConfig } from './config.js';
import type { AgentServices } from './services.js';

/** `createAgentServices`' twin: every store in memory, with the same rules (see test/contracts). */
export function createFakeAgentServices(
  config: Partial<Pick<AgentConfig, 'testTimings'>> = {},
  now: () => number = Date.now,
): AgentServices {
  return {
    timings: resolveTimings(config.testTimings),
    users: createFakeUserStore(),
    settings: cacheClusterSettings(createFakeClusterSettingsStore()),
    actions: createFakeActionStore(now),
  };
}
