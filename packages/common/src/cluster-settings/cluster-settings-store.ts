import { z } from 'zod';
import type { ClusterSettingsView } from '../contract/views.js';
import { LOCKOUT_DEFAULTS } from '../auth/login-lockout.js';
import { loadCheckModeSchema } from '../modules/load-check-types.js';

/** RS's lockout settings: whole numbers, 0 meaning "off" or "until an admin acts" where RS says so. */
const seconds = (name: string) =>
  z
    .number({ error: `${name} must be a whole number` })
    .int({ error: `${name} must be a whole number` })
    .min(0, { error: `${name} must not be negative` })
    .max(365 * 24 * 3600, { error: `${name} is too large` });

export const clusterSettingsSchema = z.strictObject({
  name: z.string().min(1).max(256),
  allow_modules_upload: z.boolean(),
  module_load_check: loadCheckModeSchema,
  login_lockout_threshold: seconds('login_lockout_threshold'),
  login_lockout_duration: seconds('login_lockout_duration'),
  login_lockout_counter_reset_after: seconds('login_lockout_counter_reset_after').min(1, {
    error: 'login_lockout_counter_reset_after must be at least 1 second',
  }),
}) satisfies z.ZodType<ClusterSettingsView>;
export type ClusterSettings = ClusterSettingsView;
export const clusterSettingsPatchSchema = clusterSettingsSchema.partial();
export type ClusterSettingsPatch = z.infer<typeof clusterSettingsPatchSchema>;

/**
 * modfleet keeps RS 8.0's default; RS 8.2 ships with uploads off (`allow_modules_upload: false`).
 * `module_load_check` is `warn` until set: every node with a redis-server checks and reports, a
 * node without one reports `skipped`. Login lockout has RS's defaults: 5 failures within 15 minutes
 * lock a user for 30 minutes.
 */
const DEFAULTS: ClusterSettings = {
  name: 'modfleet',
  allow_modules_upload: true,
  module_load_check: 'warn',
  ...LOCKOUT_DEFAULTS,
};

export interface ClusterSettingsStore {
  get(): Promise<ClusterSettings>;
  update(patch: ClusterSettingsPatch): Promise<ClusterSettings>;
}

/** What a store holds, over the defaults and checked: a bad stored value fails loudly. */
export function withDefaults(stored: Record<string, unknown>): ClusterSettings {
  return clusterSettingsSchema.parse({ ...DEFAULTS, ...stored });
}

/** The settings a patch really sets (a key given as undefined leaves the setting as it is). */
export function patchEntries(patch: ClusterSettingsPatch): [string, unknown][] {
  return Object.entries(patch).filter(([, value]) => value !== undefined);
}

export interface CachedClusterSettingsStore extends ClusterSettingsStore {
  invalidate(): void;
  /** Reads the store itself (failing as it fails) and keeps what it read as the cached copy. */
  fresh(): Promise<ClusterSettings>;
}

/**
 * Settings are read on every upload but change rarely: keep them for `ttlMs`, and drop them
 * at once when any service announces a change (see watchCcsChanges).
 */
export function cacheClusterSettings(
  store: ClusterSettingsStore,
  ttlMs = 30_000,
  now: () => number = Date.now,
): CachedClusterSettingsStore {
  let cached: { value: Promise<ClusterSettings>; expiresAt: number } | undefined;
  const invalidate = () => {
    cached = undefined;
  };
  const fresh = () => {
    const value = store.get();
    cached = { value, expiresAt: now() + ttlMs };
    value.catch(invalidate);
    return value;
  };
  return {
    get() {
      return cached && cached.expiresAt > now() ? cached.value : fresh();
    },
    fresh,
    async update(patch) {
      invalidate();
      const updated = await store.update(patch);
      invalidate();
      return updated;
    },
    invalidate,
  };
}
