import { FINISHED_JOB_RETENTION, type Logger } from '@modfleet/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { UpgradeJobData, UpgradeQueue } from './upgrade-job.js';
import { endAbandonedUpgrade } from './upgrade-abandon.js';
import { jobFailedForGood, type UpgradeJobs } from './upgrade-orphan-sweep.js';
import { runUpgrade, type UpgradeRunnerDeps } from './upgrade-runner.js';

/** The coordinators' queue of database upgrades: one job per SMUpgradeBDB. */
export const UPGRADE_QUEUE = 'bdb-upgrades';

/** A SIGKILLed coordinator's lock lapses after this; another coordinator (or the restarted one) takes the job then. */
const LOCK_MS = 10_000;

export interface UpgradeWorker extends UpgradeQueue, UpgradeJobs {
  close(): Promise<void>;
}

/** The queue's upgrade jobs as the orphan sweep reads them. */
export function queuedUpgradeJobs(queue: Queue): UpgradeJobs {
  return {
    async find(actionUid) {
      const job = await queue.getJob(actionUid);
      if (!job) return undefined;
      return { state: await job.getState(), attemptsMade: job.attemptsMade, failedReason: job.failedReason };
    },
  };
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
  /** Tests only: how often a job is tried and the first retry's delay (5, 1 s otherwise). */
  retry?: { attempts: number; delayMs: number };
}): UpgradeWorker {
  const { connection, queuePrefix, logger, retry = { attempts: 5, delayMs: 1000 } } = deps;
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
  worker.on('failed', (job, err) => {
    logger.error({ err, action_uid: job?.data.action_uid }, 'upgrade job failed');
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) void endForGood(job);
  });
  /** Its last attempt failed: nothing will run it again, so its upgrade ends now (else the sweep ends it). */
  async function endForGood(job: Job<UpgradeJobData>) {
    const why = jobFailedForGood({ state: 'failed', attemptsMade: job.attemptsMade, failedReason: job.failedReason });
    try {
      if (await endAbandonedUpgrade(deps.runner.store, job.data.action_uid, why, deps.runner.now)) {
        logger.warn({ action_uid: job.data.action_uid, why }, 'upgrade ended: its job failed for good');
      }
    } catch (err) {
      logger.warn({ err, action_uid: job.data.action_uid }, 'could not end the upgrade yet: the orphan sweep will');
    }
  }
  return {
    ...queuedUpgradeJobs(queue),
    async enqueue(data) {
      await queue.add('upgrade', data, {
        jobId: data.action_uid,
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.delayMs },
        ...FINISHED_JOB_RETENTION,
      });
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
