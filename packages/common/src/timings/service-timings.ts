import { z } from 'zod';

/**
 * Every interval and timeout that decides how fast the cluster notices something: one object,
 * passed through the services' options. Production runs on the defaults; tests shrink them (in
 * process through the options, in spawned processes through MODFLEET_TEST_TIMINGS) so that a
 * node going down or a lock expiring takes a fraction of a second instead of real seconds.
 */
export interface ServiceTimings {
  /** How often an agent refreshes its heartbeat. */
  heartbeatIntervalMs: number;
  /** A node is `down` once it has missed heartbeats for this long. */
  nodeDownAfterMs: number;
  /** A coordinator's presence entry counts as live this long after its last refresh. */
  presenceTtlMs: number;
  /** How often a coordinator refreshes its presence entry. */
  presenceRefreshMs: number;
  /** BullMQ lock of a node job: a job held by a killed agent is retried after this. */
  workerLockMs: number;
  /** How often BullMQ looks for stalled node jobs. */
  workerStalledMs: number;
  /** How often an agent waiting for the cluster CA reads Redis again. */
  caPollMs: number;
  /** How often the coordinators close actions orphaned by a crash. */
  orphanSweepMs: number;
  /** How often a service reads the CCS marker besides on each Redis reconnect. */
  ccsMarkerCheckMs: number;
  /** Tests only: how long an upgrade stays in each state it enters before going on, so a fault lands there (0: not at all). */
  upgradeStateHoldMs: number;
}

export const DEFAULT_TIMINGS: Readonly<ServiceTimings> = Object.freeze({
  heartbeatIntervalMs: 1_000,
  nodeDownAfterMs: 5_000,
  presenceTtlMs: 15_000,
  presenceRefreshMs: 5_000,
  workerLockMs: 10_000,
  workerStalledMs: 5_000,
  caPollMs: 1_000,
  orphanSweepMs: 60_000,
  ccsMarkerCheckMs: 2_000,
  upgradeStateHoldMs: 0,
});

const interval = z.number().int().min(10).max(3_600_000);

/** Some timings, by name; each absent one keeps its default. Unknown names are refused (a typo would be silent). */
export const timingOverridesSchema = z.strictObject({
  heartbeatIntervalMs: interval.optional(),
  nodeDownAfterMs: interval.optional(),
  presenceTtlMs: interval.optional(),
  presenceRefreshMs: interval.optional(),
  workerLockMs: interval.optional(),
  workerStalledMs: interval.optional(),
  caPollMs: interval.optional(),
  orphanSweepMs: interval.optional(),
  ccsMarkerCheckMs: interval.optional(),
  upgradeStateHoldMs: z.number().int().min(0).max(60_000).optional(),
}) satisfies z.ZodType<Partial<ServiceTimings>>;

export type TimingOverrides = z.infer<typeof timingOverridesSchema>;

/** The defaults with `overrides` laid over them. */
export function resolveTimings(overrides: TimingOverrides = {}): ServiceTimings {
  const given = Object.entries(overrides).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_TIMINGS, ...Object.fromEntries(given) };
}
