import type { ActionStore, ArtifactJob, LoadCheck, OpRecord, OpStatus, SourceUse } from '@modfleet/common';

export interface OpUpdate {
  status: OpStatus;
  progress: number;
  attempts: number;
  error?: string | null;
  sources?: SourceUse[];
  load_check?: LoadCheck | undefined;
}

/** Writes a node op's state into its action record, as the fleet's per-node job status. */
export function recordOp(actions: Pick<ActionStore, 'recordOp'>, job: ArtifactJob, update: OpUpdate): Promise<void> {
  const record: OpRecord = {
    key: job.op_key,
    node_uid: job.node_uid,
    op: job.op,
    module_name: job.module_name,
    version: job.version,
    sha256: job.sha256,
    status: update.status,
    progress: update.progress,
    attempts: update.attempts,
    error: update.error ?? null,
    ...(update.sources && { sources: update.sources }),
    ...(update.load_check && { load_check: update.load_check }),
  };
  return actions.recordOp(job.action_uid, record);
}

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
