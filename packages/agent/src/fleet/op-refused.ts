import type { LoadCheck } from '@modfleet/common';
import { UnrecoverableError } from 'bullmq';

/** Why a node refused a fleet op for good: no retry of the same job can make it succeed. */
export const OP_REFUSAL_CODES = [
  /** The job payload is not one this agent can run. */
  'invalid_job',
  /** The node holds other bytes under the same name and version, and the job may not replace them. */
  'drift',
  /** The coordinator refused the download for good (a refused signature, a missing blob). */
  'coordinator_refused',
  /** The coordinator no longer holds the bytes: deleted from the fleet, or pushed again with others. */
  'blob_gone',
  /** The bytes are not a valid artifact, or not the one the job names. */
  'invalid_artifact',
  /** The module failed this node's load check under `module_load_check: enforce`. */
  'load_check_failed',
  /** The node's artifact store refused the artifact (an RS client error). */
  'rejected_by_node',
] as const;
export type OpRefusalCode = (typeof OP_REFUSAL_CODES)[number];

/**
 * A fleet op's final failure, with the load check it failed when there was one. An
 * UnrecoverableError, so BullMQ fails the job at once instead of retrying it.
 */
export class OpRefusedError extends UnrecoverableError {
  readonly code: OpRefusalCode;
  readonly loadCheck: LoadCheck | undefined;

  constructor(code: OpRefusalCode, message: string, loadCheck?: LoadCheck) {
    super(message);
    this.code = code;
    this.loadCheck = loadCheck;
  }
}
