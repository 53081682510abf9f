import {
  artifactJobSchema,
  DEFAULT_TIMINGS,
  nodeQueueName,
  type ActionStore,
  type ServiceTimings,
} from '@modfleet/common';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createArtifactJobProcessor, type ProcessorDeps } from './artifact-job-processor.js';
import { loadCheckOf } from '../load-check/load-check-rejected.js';
import { recordOp } from './op-recorder.js';

/**
 * Consumes this node's queue, one op at a time so ops on one artifact keep their order.
 * A short lock means a job held by a killed agent is retried within seconds of its restart.
 */
export function startNodeWorker(
  deps: ProcessorDeps & {
    nodeUid: number;
    connection: Redis;
    queuePrefix: string;
    actions: ActionStore;
    timings?: Pick<ServiceTimings, 'workerLockMs' | 'workerStalledMs'>;
  },
): Worker {
  const { nodeUid, connection, queuePrefix, actions, logger } = deps;
  const timings = deps.timings ?? DEFAULT_TIMINGS;
  const worker = new Worker(nodeQueueName(nodeUid), createArtifactJobProcessor(deps), {
    connection,
    prefix: queuePrefix,
    concurrency: 1,
    lockDuration: timings.workerLockMs,
    stalledInterval: timings.workerStalledMs,
    maxStalledCount: 3,
  });
  worker.on('error', err => logger.error({ err }, 'node worker error'));
  const timeJob = (
    job: { name: string; processedOn?: number | undefined; finishedOn?: number | undefined },
    outcome: string,
  ) => {
    if (job.processedOn && job.finishedOn)
      deps.metrics.jobDuration.observe({ op: job.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
  };
  worker.on('completed', job => timeJob(job, 'completed'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    timeJob(job, 'failed');
    const parsed = artifactJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const final =
      err instanceof UnrecoverableError ||
      err.name === 'UnrecoverableError' ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    logger.warn(
      { err, jobId: job.id, attempts: job.attemptsMade, final },
      final ? 'fleet op failed' : 'fleet op failed; will retry',
    );
    recordOp(actions, parsed.data, {
      status: final ? 'failed' : 'queued',
      progress: 0,
      attempts: Math.max(job.attemptsStarted, job.attemptsMade),
      error: err.message,
      load_check: loadCheckOf(err),
    }).catch((recordErr: unknown) => logger.error({ err: recordErr }, 'could not record a failed op'));
  });
  return worker;
}
