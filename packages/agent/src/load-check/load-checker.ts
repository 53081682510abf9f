import type { ClusterSettingsStore, InspectedArtifact, LoadCheck, LoadCheckMode, Logger } from '@modfleet/common';
import { LoadCheckRejectedError } from './load-check-rejected.js';
import { runLoadCheck, type RunLoadCheckOptions } from './run-load-check.js';

export interface LoadChecker {
  /**
   * Checks an artifact before it is installed, as the cluster's `module_load_check` says:
   * `off` skips, `warn` reports, `enforce` throws LoadCheckRejectedError on a failed check.
   */
  beforeInstall(zipPath: string, inspected: InspectedArtifact): Promise<LoadCheck>;
  /** The cluster's `module_load_check` now. */
  mode(): Promise<LoadCheckMode>;
  /** Runs the check whatever the mode and never throws for a failed check (`warn` after the install). */
  check(zipPath: string, inspected: InspectedArtifact, mode: LoadCheckMode): Promise<LoadCheck>;
}

export interface LoadCheckerDeps extends RunLoadCheckOptions {
  settings: Pick<ClusterSettingsStore, 'get'>;
  logger: Logger;
  /** Checks running at once (each is a redis-server process); the rest wait their turn. */
  concurrency?: number;
}

export function createLoadChecker({ settings, logger, concurrency = 2, ...options }: LoadCheckerDeps): LoadChecker {
  let running = 0;
  const waiting: (() => void)[] = [];
  async function limited<T>(work: () => Promise<T>): Promise<T> {
    // A finishing check hands its slot straight to the next waiter, so the limit always holds.
    if (running >= concurrency) await new Promise<void>(resolve => waiting.push(resolve));
    else running += 1;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  }

  async function check(zipPath: string, inspected: InspectedArtifact, mode: LoadCheckMode): Promise<LoadCheck> {
    const { module_name, version } = inspected.manifest;
    const result = await limited(() => runLoadCheck(zipPath, inspected, options));
    logger[result.status === 'failed' ? 'warn' : 'info'](
      { module_name, version, load_check: result, mode },
      'module load check done',
    );
    return result;
  }

  const mode = async () => (await settings.get()).module_load_check;

  return {
    mode,
    check,
    async beforeInstall(zipPath, inspected) {
      const now = await mode();
      if (now === 'off') {
        return { status: 'skipped', reason: 'module_load_check is off', checked_at: new Date().toISOString() };
      }
      const result = await check(zipPath, inspected, now);
      if (result.status === 'failed' && now === 'enforce') throw new LoadCheckRejectedError(result);
      return result;
    },
  };
}
