import type { ClusterSettingsStore, InspectedArtifact, LoadCheck, Logger } from '@modfleet/common';
import { LoadCheckRejectedError } from './load-check-rejected.js';
import { runLoadCheck, type RunLoadCheckOptions } from './run-load-check.js';

export interface LoadChecker {
  /**
   * Checks an artifact before it is installed, as the cluster's `module_load_check` says:
   * `off` skips, `warn` reports, `enforce` throws LoadCheckRejectedError on a failed check.
   */
  beforeInstall(zipPath: string, inspected: InspectedArtifact): Promise<LoadCheck>;
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

  return {
    async beforeInstall(zipPath, inspected) {
      const { module_load_check: mode } = await settings.get();
      const { module_name, version } = inspected.manifest;
      if (mode === 'off') {
        return { status: 'skipped', reason: 'module_load_check is off', checked_at: new Date().toISOString() };
      }
      const check = await limited(() => runLoadCheck(zipPath, inspected, options));
      logger[check.status === 'failed' ? 'warn' : 'info'](
        { module_name, version, load_check: check, mode },
        'module load check done',
      );
      if (check.status === 'failed' && mode === 'enforce') throw new LoadCheckRejectedError(check);
      return check;
    },
  };
}
