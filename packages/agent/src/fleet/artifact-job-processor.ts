import { rm } from 'node:fs/promises';
import {
  ORIGIN_SOURCE,
  artifactJobSchema,
  inspectArtifact,
  isAppError,
  type ActionStore,
  type ArtifactJob,
  type LoadCheck,
  type Logger,
  type Metrics,
  type SourceUse,
} from '@modfleet/common';
import { UnrecoverableError, type Job } from 'bullmq';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { relayFetch, type Relay } from '../relay/relay-download.js';
import type { LoadChecker } from '../load-check/load-checker.js';
import { loadCheckOf } from '../load-check/load-check-rejected.js';
import { PermanentCoordinatorError, type CoordinatorClient } from './coordinator-client.js';
import { recordOp, throttle } from './op-recorder.js';

export type OpResult = 'installed' | 'unchanged' | 'replaced' | 'deleted' | 'absent';

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
 * Runs one fleet op on this node. Delivery is at least once, so every op is idempotent: the
 * same bytes already installed, or an artifact already gone, count as done.
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
  let lastCheck: LoadCheck | undefined;
  /** `out.sources` says where the bytes came from, for the op's entry in the action. */
  async function install(job: ArtifactJob, attempts: number, out: { sources?: SourceUse[] }): Promise<OpResult> {
    const { module_name, version, sha256, url, size } = job;
    if (!sha256 || !url) throw new UnrecoverableError('install job without sha256 or url');
    const existing = store.get(module_name, version);
    lastCheck = existing?.load_check;
    if (existing?.sha256 === sha256) return 'unchanged';
    if (existing && !job.replace) {
      throw new UnrecoverableError(
        `drift: this node holds ${module_name}@${version} with sha256 ${existing.sha256}, the fleet's is ${sha256}; run sync to replace it`,
      );
    }
    const report = throttle(progress => {
      recordOp(actions, job, { status: 'running', progress, attempts }).catch(() => undefined);
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
      if (err instanceof PermanentCoordinatorError) throw new UnrecoverableError(err.message);
      // Bytes the fleet deleted come back from no retry: end the op now rather than after every backoff.
      if (!(err instanceof UnrecoverableError) && !(await coordinator.hasBlob(url).catch(() => true))) {
        throw new UnrecoverableError(
          `the coordinator no longer holds these bytes (sha256 ${sha256}): the artifact was deleted from the fleet or pushed again with other bytes (${(err as Error).message})`,
        );
      }
      throw err;
    }
    out.sources = relayed?.sources ?? [
      { source: ORIGIN_SOURCE, bytes: upload.size, first_byte_at: arrived.first, last_byte_at: arrived.last },
    ];
    // Counted by where the bytes came from: the coordinator (download) or a peer (relay).
    for (const use of out.sources) {
      metrics.artifactBytesReceived.inc({ source: use.source === ORIGIN_SOURCE ? 'download' : 'relay' }, use.bytes);
    }
    try {
      if (upload.sha256 !== sha256)
        throw new Error(`downloaded bytes have sha256 ${upload.sha256}, expected ${sha256}`);
      const inspected = await inspectArtifact(upload.path).catch((err: unknown) => {
        throw new UnrecoverableError(`the fleet artifact is not valid here: ${(err as Error).message}`);
      });
      if (inspected.manifest.module_name !== module_name || inspected.manifest.version !== version) {
        throw new UnrecoverableError(
          `the artifact's module.json says ${inspected.manifest.module_name}@${inspected.manifest.version}, not ${module_name}@${version}`,
        );
      }
      lastCheck = await loadChecker.beforeInstall(upload.path, inspected);
      if (existing) await store.remove(module_name, version);
      const { created } = await store.install(upload, inspected, lastCheck);
      if (relayed && relay) await relay.blobs.remember(relayed.index).catch(() => undefined);
      return existing ? 'replaced' : created ? 'installed' : 'unchanged';
    } catch (err) {
      // The rejected check rides on the job error so the failed op shows it.
      if (isAppError(err) && err.status < 500)
        throw Object.assign(new UnrecoverableError(err.message), { loadCheck: loadCheckOf(err) });
      throw err;
    } finally {
      relayed?.release();
      await rm(upload.path, { force: true });
    }
  }

  async function remove(job: ArtifactJob): Promise<OpResult> {
    try {
      await store.remove(job.module_name, job.version);
      return 'deleted';
    } catch (err) {
      if (isAppError(err) && err.status === 404) return 'absent';
      throw err;
    }
  }

  return async (job: Job): Promise<{ result: OpResult }> => {
    const parsed = artifactJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${parsed.error.message}`);
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
    await recordOp(actions, data, { status: 'running', progress: 0, attempts });
    lastCheck = undefined;
    const out: { sources?: SourceUse[] } = {};
    let result: OpResult;
    try {
      result = data.op === 'install' ? await install(data, attempts, out) : await remove(data);
    } catch (err) {
      // A final failure is written before BullMQ moves the job: the finalizer then already reads it.
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final) {
        await recordOp(actions, data, {
          status: 'failed',
          progress: 0,
          attempts,
          error: (err as Error).message,
          load_check: loadCheckOf(err),
        }).catch((recordErr: unknown) => log.error({ err: recordErr }, 'could not record a failed op'));
      }
      throw err;
    }
    const { sources } = out;
    await recordOp(actions, data, {
      status: 'completed',
      progress: 100,
      attempts,
      load_check: lastCheck,
      ...(sources && { sources }),
    });
    log.info({ result, attempts, ...(sources && { sources }) }, 'fleet op done');
    return { result };
  };
}
