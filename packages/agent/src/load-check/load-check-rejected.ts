import { NotAcceptableError, type LoadCheck } from '@modfleet/common';

/** Under `module_load_check: enforce`: the module failed this node's check, nothing was installed. */
export class LoadCheckRejectedError extends NotAcceptableError {
  readonly loadCheck: LoadCheck;

  constructor(loadCheck: LoadCheck) {
    super('invalid_module', `module load check failed on this node: ${loadCheck.reason}`);
    this.loadCheck = loadCheck;
  }
}
