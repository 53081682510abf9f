import { DEFAULT_TIMINGS, type ServiceTimings } from '@modfleet/common';

/**
 * Service timings for tests: 100 ms heartbeats instead of 1 s, with margins that hold on a loaded
 * 2-core machine (a node is down after 15 missed heartbeats, not 5: a starved event loop must not
 * flap a live node). The node worker's lock and the orphan sweep keep production's values: a
 * shorter lock lets a long download on a starved machine stall and fail, and a frequent sweep
 * races the dispatcher. Production's are DEFAULT_TIMINGS in @modfleet/common.
 */
export const FAST_TIMINGS: ServiceTimings = {
  ...DEFAULT_TIMINGS,
  heartbeatIntervalMs: 100,
  nodeDownAfterMs: 1_500,
  presenceTtlMs: 3_000,
  presenceRefreshMs: 500,
  caPollMs: 100,
  ccsMarkerCheckMs: 500,
};

/** The variable that gives a spawned coordinator or agent these timings. */
export const fastTimingsEnv = (): { MODFLEET_TEST_TIMINGS: string } => ({
  MODFLEET_TEST_TIMINGS: JSON.stringify(FAST_TIMINGS),
});
