import { z } from 'zod';

/** Cluster setting `module_load_check`: what a node does after it receives a module. */
export const LOAD_CHECK_MODES = ['off', 'warn', 'enforce'] as const;
export type LoadCheckMode = (typeof LOAD_CHECK_MODES)[number];
export const loadCheckModeSchema = z.enum(LOAD_CHECK_MODES, {
  error: `module_load_check must be one of ${LOAD_CHECK_MODES.join(', ')}`,
});

/** A node's verdict on one artifact, shown under its entry in the fleet view and on its op. */
export interface LoadCheck {
  status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped; for `passed`, what was loaded. */
  reason: string;
  /** Problems that do not fail the check (e.g. a registered name other than module_name). */
  warnings?: string[];
  /** redis-server version on the node that ran the check. */
  redis_version?: string;
  checked_at: string;
}
