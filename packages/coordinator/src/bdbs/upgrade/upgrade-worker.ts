import { FINISHED_JOB_RETENTION, type Logger } from '@modfleet/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { UpgradeJobData, UpgradeQueue } from './upgrade-job.js';
import { runUpgrade, type UpgradeRunnerDeps } from './upgrade-runner.js';

/** The coordinators' queue of database upgrades: one job per SMUpgradeBDB. */
export const UPGRADE_QUEUE = 'bdb-upgrades';

/** A SIGKILLed coordinator's lock lapses after this; another coordinator (or the restarted one) takes the job then. */
const LOCK_MS = 10_000;

export interface UpgradeWorker extends UpgradeQueue {
  close(): Promise<void>;
}

/**
 * Runs upgrade jobs on every coordinator sharing the prefix. BullMQ holds each job's lock while
 * its coordinator lives; a dead one's job is found stalled and run again by another worker,
 * which resumes from the state machine's record (runUpgrade's steps are idempotent).
 */
export function startUpgradeWorker(deps: {
  connection: Redis;
  queuePrefix: string;
  runner: UpgradeRunnerDeps;
  logger: Logger;
}): UpgradeWorker {
  const { connection, queuePrefix, logger } = deps;
  const queue = new Queue<UpgradeJobData>(UPGRADE_QUEUE, { connection, prefix: queuePrefix });
  queue.on('error', err => logger.error({ err }, 'upgrade queue error'));
  const worker = new Worker<UpgradeJobData>(
    UPGRADE_QUEUE,
    async (job: Job<UpgradeJobData>) => runUpgrade(deps.runner, job.data),
    {
      connection,
      prefix: queuePrefix,
      concurrency: 4,
      lockDuration: LOCK_MS,
      stalledInterval: LOCK_MS / 2,
      maxStalledCount: 20,
    },
  );
  worker.on('error', err => logger.error({ err }, 'upgrade worker error'));
  worker.on('failed', (job, err) => logger.error({ err, action_uid: job?.data.action_uid }, 'upgrade job failed'));
  return {
    async enqueue(data) {
      await queue.add('upgrade', data, {
        jobId: data.action_uid,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        ...FINISHED_JOB_RETENTION,
      });
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
