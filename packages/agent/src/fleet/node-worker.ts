import { DEFAULT_TIMINGS, nodeQueueName, type ServiceTimings } from '@modfleet/common';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createArtifactJobProcessor, type ProcessorDeps } from './artifact-job-processor.js';
import { OpRefusedError } from './op-refused.js';

/**
 * Consumes this node's queue, one op at a time so ops on one artifact keep their order.
 * A short lock means a job held by a killed agent is retried within seconds of its restart.
 */
export function startNodeWorker(
  deps: ProcessorDeps & {
    nodeUid: number;
    connection: Redis;
    queuePrefix: string;
    timings?: Pick<ServiceTimings, 'workerLockMs' | 'workerStalledMs'>;
  },
): Worker {
  const { nodeUid, connection, queuePrefix, logger } = deps;
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
  // Metrics and logs only: the processor has recorded the op's state before BullMQ moved the job.
  // A job BullMQ fails without running the processor (one that stalled more than maxStalledCount
  // times) is written into its action by the coordinator's finalizer, from BullMQ's failed reason.
  worker.on('failed', (job, err) => {
    if (!job) return;
    timeJob(job, 'failed');
    // BullMQ's own verdict, read after it moved the job: it sets finishedOn only on a job failed for good.
    const final = Boolean(job.finishedOn);
    logger.warn(
      {
        err,
        jobId: job.id,
        attempts: job.attemptsMade,
        final,
        ...(err instanceof OpRefusedError && { refusal: err.code }),
      },
      final ? 'fleet op failed' : 'fleet op failed; will retry',
    );
  });
  return worker;
}
