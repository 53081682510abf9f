import type { ActionStore, ArtifactJob, LoadCheck, OpRecord, OpStatus, SourceUse } from '@modfleet/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { OpRefusedError } from './op-refused.js';

interface OpUpdate {
  status: OpStatus;
  progress: number;
  error?: string | undefined;
  sources?: SourceUse[] | undefined;
  load_check?: LoadCheck | undefined;
}

/** What a finished op reports beside its result: where its bytes came from and its load check. */
export interface OpReport {
  sources?: SourceUse[] | undefined;
  loadCheck?: LoadCheck | undefined;
}

/**
 * Whether BullMQ will fail this run's job for good rather than retry it: the error is
 * unrecoverable, or this run was the job's last attempt. Read before BullMQ moves the job
 * (`attemptsMade` does not count this run yet); the same test BullMQ's `shouldRetryJob` makes.
 */
export function isFinalFailure(err: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  const unrecoverable = err instanceof UnrecoverableError || (err as Error | null)?.name === 'UnrecoverableError';
  return unrecoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * The one writer of a node op's state in its action record (the fleet's per-node job status),
 * used by the job processor for every transition of one run. `attempts` is this run's number.
 */
export function createOpRecorder(actions: Pick<ActionStore, 'recordOp'>, job: ArtifactJob, attempts: number) {
  const write = (update: OpUpdate): Promise<void> => {
    const record: OpRecord = {
      key: job.op_key,
      node_uid: job.node_uid,
      op: job.op,
      module_name: job.module_name,
      version: job.version,
      sha256: job.sha256,
      status: update.status,
      progress: update.progress,
      attempts,
      error: update.error ?? null,
      ...(update.sources && { sources: update.sources }),
      ...(update.load_check && { load_check: update.load_check }),
    };
    return actions.recordOp(job.action_uid, record);
  };
  return {
    running: (progress: number) => write({ status: 'running', progress }),
    completed: ({ sources, loadCheck }: OpReport) =>
      write({ status: 'completed', progress: 100, sources, load_check: loadCheck }),
    /** A retried failure goes back to `queued` with its error; a final one ends `failed`. */
    failed: (err: unknown, final: boolean) =>
      write({
        status: final ? 'failed' : 'queued',
        progress: 0,
        error: err instanceof Error ? err.message : String(err),
        load_check: err instanceof OpRefusedError ? err.loadCheck : undefined,
      }),
  };
}
export type OpRecorder = ReturnType<typeof createOpRecorder>;

/** Progress reports at most every `intervalMs`: a download reports thousands of chunks. */
export function throttle(report: (progress: number) => void, intervalMs = 250): (progress: number) => void {
  let last = 0;
  return progress => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    report(progress);
  };
}
