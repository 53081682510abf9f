import { FINISHED_JOB_RETENTION, type Logger } from '@modfleet/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** The coordinators' queue of housekeeping jobs: each scheduled run is one job, taken by one coordinator. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** One piece of housekeeping and how often it runs across every coordinator of the prefix. */
export interface MaintenanceTask {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface Maintenance {
  close(): Promise<void>;
}

/**
 * Runs each task once per interval across however many coordinators share the prefix, with
 * BullMQ job schedulers: every coordinator upserts the same schedulers (so any one of them alone
 * keeps them going) and works the queue, and each run is a single job that one of them takes.
 * A scheduler's first run is due at once, so a start still sweeps what the last crash left.
 */
export async function startMaintenance(deps: {
  connection: Redis;
  queuePrefix: string;
  tasks: MaintenanceTask[];
  logger: Logger;
}): Promise<Maintenance> {
  const { connection, queuePrefix, tasks, logger } = deps;
  const byName = new Map(tasks.map(task => [task.name, task]));
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix: queuePrefix });
  queue.on('error', err => logger.error({ err }, 'maintenance queue error'));
  for (const task of tasks) {
    await queue.upsertJobScheduler(
      task.name,
      { every: task.everyMs },
      { name: task.name, opts: FINISHED_JOB_RETENTION },
    );
  }
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job: Job) => {
      const task = byName.get(job.name);
      if (!task) return { skipped: 'unknown task' };
      const result = await task.run();
      logger.debug({ task: job.name, result }, 'maintenance task ran');
      return result;
    },
    { connection, prefix: queuePrefix, concurrency: 1 },
  );
  worker.on('error', err => logger.error({ err }, 'maintenance worker error'));
  worker.on('failed', (job, err) => logger.warn({ err, task: job?.name }, 'maintenance task failed'));
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
