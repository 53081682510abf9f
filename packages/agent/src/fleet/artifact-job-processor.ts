import { rm } from 'node:fs/promises';
import {
  ORIGIN_SOURCE,
  artifactJobSchema,
  inspectArtifact,
  isAppError,
  type ActionStore,
  type ArtifactJob,
  type Logger,
  type Metrics,
} from '@modfleet/common';
import { UnrecoverableError, type Job } from 'bullmq';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { relayFetch, type Relay } from '../relay/relay-download.js';
import type { LoadChecker } from '../load-check/load-checker.js';
import { LoadCheckRejectedError } from '../load-check/load-check-rejected.js';
import { PermanentCoordinatorError, type CoordinatorClient } from './coordinator-client.js';
import { createOpRecorder, isFinalFailure, throttle, type OpRecorder, type OpReport } from './op-recorder.js';
import { OpRefusedError } from './op-refused.js';

export type OpResult = 'installed' | 'unchanged' | 'replaced' | 'deleted' | 'absent';

/** A finished op: its result, and what its entry in the action shows beside it. */
export interface OpOutcome extends OpReport {
  result: OpResult;
}

export interface ProcessorDeps {
  store: ArtifactStore;
  loadChecker: LoadChecker;
  coordinator: CoordinatorClient;
  actions: Pick<ActionStore, 'recordOp'>;
  logger: Logger;
  metrics: Metrics;
  /** Pull relayed jobs from peers (absent: every install downloads from the coordinator). */
  relay?: Relay;
}

/**
 * Runs one fleet op on this node and records every state it passes through (running, progress,
 * queued again after a failure BullMQ retries, failed, completed). Delivery is at least once, so
 * every op is idempotent: the same bytes already installed, or an artifact already gone, count as done.
 */
export function createArtifactJobProcessor({
  store,
  loadChecker,
  coordinator,
  actions,
  logger,
  metrics,
  relay,
}: ProcessorDeps) {
  async function install(job: ArtifactJob, recorder: OpRecorder): Promise<OpOutcome> {
    const { module_name, version, sha256, url, size } = job;
    if (!sha256 || !url) throw new OpRefusedError('invalid_job', 'install job without sha256 or url');
    const existing = store.get(module_name, version);
    if (existing?.sha256 === sha256) return { result: 'unchanged', loadCheck: existing.load_check };
    if (existing && !job.replace) {
      throw new OpRefusedError(
        'drift',
        `drift: this node holds ${module_name}@${version} with sha256 ${existing.sha256}, the fleet's is ${sha256}; run sync to replace it`,
      );
    }
    const report = throttle(progress => {
      recorder.running(progress).catch(() => undefined);
    });
    const arrived: { first?: string; last?: string } = {};
    const onBytes = (bytes: number) => {
      arrived.last = new Date().toISOString();
      arrived.first ??= arrived.last;
      report(size ? Math.min(99, (bytes / size) * 100) : 0);
    };
    let upload;
    let relayed;
    try {
      relayed = relay && (await relayFetch(relay, job, store.tempDir, onBytes));
      upload = relayed?.upload ?? (await coordinator.download(url, store.tempDir, onBytes));
    } catch (err) {
      if (err instanceof PermanentCoordinatorError) throw new OpRefusedError('coordinator_refused', err.message);
      // Bytes the fleet deleted come back from no retry: end the op now rather than after every backoff.
      if (!(err instanceof UnrecoverableError) && !(await coordinator.hasBlob(url).catch(() => true))) {
        throw new OpRefusedError(
          'blob_gone',
          `the coordinator no longer holds these bytes (sha256 ${sha256}): the artifact was deleted from the fleet or pushed again with other bytes (${(err as Error).message})`,
        );
      }
      throw err;
    }
    const sources = relayed?.sources ?? [
      { source: ORIGIN_SOURCE, bytes: upload.size, first_byte_at: arrived.first, last_byte_at: arrived.last },
    ];
    // Counted by where the bytes came from: the coordinator (download) or a peer (relay).
    for (const use of sources) {
      metrics.artifactBytesReceived.inc({ source: use.source === ORIGIN_SOURCE ? 'download' : 'relay' }, use.bytes);
    }
    try {
      if (upload.sha256 !== sha256)
        throw new Error(`downloaded bytes have sha256 ${upload.sha256}, expected ${sha256}`);
      const inspected = await inspectArtifact(upload.path).catch((err: unknown) => {
        throw new OpRefusedError('invalid_artifact', `the fleet artifact is not valid here: ${(err as Error).message}`);
      });
      if (inspected.manifest.module_name !== module_name || inspected.manifest.version !== version) {
        throw new OpRefusedError(
          'invalid_artifact',
          `the artifact's module.json says ${inspected.manifest.module_name}@${inspected.manifest.version}, not ${module_name}@${version}`,
        );
      }
      const loadCheck = await loadChecker.beforeInstall(upload.path, inspected);
      if (existing) await store.remove(module_name, version);
      const { created } = await store.install(upload, inspected, loadCheck);
      if (relayed && relay) await relay.blobs.remember(relayed.index).catch(() => undefined);
      return { result: existing ? 'replaced' : created ? 'installed' : 'unchanged', sources, loadCheck };
    } catch (err) {
      // The rejected check rides on the job error so the failed op shows it.
      if (err instanceof LoadCheckRejectedError)
        throw new OpRefusedError('load_check_failed', err.message, err.loadCheck);
      if (isAppError(err) && err.status < 500) throw new OpRefusedError('rejected_by_node', err.message);
      throw err;
    } finally {
      relayed?.release();
      await rm(upload.path, { force: true });
    }
  }

  async function remove(job: ArtifactJob): Promise<OpOutcome> {
    try {
      await store.remove(job.module_name, job.version);
      return { result: 'deleted' };
    } catch (err) {
      if (isAppError(err) && err.status === 404) return { result: 'absent' };
      throw err;
    }
  }

  return async (job: Job): Promise<{ result: OpResult }> => {
    const parsed = artifactJobSchema.safeParse(job.data);
    if (!parsed.success) throw new OpRefusedError('invalid_job', `invalid job payload: ${parsed.error.message}`);
    const data = parsed.data;
    // attemptsStarted also counts runs cut short by a crash, which never reach attemptsMade.
    const attempts = Math.max(job.attemptsStarted, job.attemptsMade + 1);
    const log = logger.child({
      jobId: job.id,
      action_uid: data.action_uid,
      op: data.op,
      module_name: data.module_name,
      version: data.version,
    });
    const recorder = createOpRecorder(actions, data, attempts);
    let outcome: OpOutcome;
    try {
      await recorder.running(0);
      outcome = data.op === 'install' ? await install(data, recorder) : await remove(data);
      await recorder.completed(outcome);
    } catch (err) {
      // Written before BullMQ moves the job: once it has, the finalizer may run and reads this.
      await recorder
        .failed(err, isFinalFailure(err, job))
        .catch((recordErr: unknown) => log.error({ err: recordErr }, 'could not record a failed op'));
      throw err;
    }
    const { result, sources } = outcome;
    log.info({ result, attempts, ...(sources && { sources }) }, 'fleet op done');
    return { result };
  };
}
