import { loadServiceConfig, type Env, type ServiceConfig } from '@modfleet/common';

/** One field per variable the env registry lists for the coordinator (`MODFLEET_DATA_DIR` -> `dataDir`). */
export type CoordinatorConfig = ServiceConfig<'coordinator'>;

/** `fromFlags`: the variables the user gave as CLI flags, so that a bad one is reported by its flag. */
export function loadCoordinatorConfig(env: Env = process.env, fromFlags?: ReadonlySet<string>): CoordinatorConfig {
  return loadServiceConfig('coordinator', env, fromFlags);
}
