import { NotAcceptableError, type LoadCheck } from '@modfleet/common';

/** Under `module_load_check: enforce`: the module failed this node's check, nothing was installed. */
export class LoadCheckRejectedError extends NotAcceptableError {
  readonly loadCheck: LoadCheck;

  constructor(loadCheck: LoadCheck) {
    super('invalid_module', `module load check failed on this node: ${loadCheck.reason}`);
    this.loadCheck = loadCheck;
  }
}

/** The load check an error carries (a rejected check, or a job error built from one). */
export function loadCheckOf(err: unknown): LoadCheck | undefined {
  const value = (err as { loadCheck?: unknown } | null)?.loadCheck;
  return value && typeof value === 'object' ? (value as LoadCheck) : undefined;
}
