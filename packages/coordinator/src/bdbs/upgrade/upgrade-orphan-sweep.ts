import type { Logger } from '@modfleet/common';
import type { BdbStore } from '../bdb-store.js';
import { endAbandonedUpgrade } from './upgrade-abandon.js';

/** An upgrade job as its queue keeps it. */
export interface UpgradeJobState {
  /** BullMQ's: `failed` only once its last attempt failed (a retry waits `delayed`). */
  state: string;
  attemptsMade: number;
  failedReason?: string;
}

/** The upgrade jobs of the coordinators' queue, by action uid (the job id); undefined: no such job. */
export interface UpgradeJobs {
  find(actionUid: string): Promise<UpgradeJobState | undefined>;
}

export const JOB_GONE = 'its job is gone (the coordinators lost it: Redis lost data, or it was removed)';

export const jobFailedForGood = (job: UpgradeJobState) =>
  `its job failed ${job.attemptsMade} time(s), the last: ${job.failedReason || 'no reason given'}`;

/** Why nothing will end this upgrade's machine; undefined while its job is queued or running. */
function orphaned(job: UpgradeJobState | undefined): string | undefined {
  if (!job) return JOB_GONE;
  if (job.state === 'failed') return jobFailedForGood(job);
  // A completed job ended its machine first (or found it ended): still active, it never will be.
  if (job.state === 'completed') return 'its job completed without ending it';
  return undefined;
}

/**
 * Upgrades nothing else will end, ended `failed` with why (endAbandonedUpgrade): one whose job
 * used its last attempt (Redis down through a roll-back) or is gone. The route queues the job
 * before it saves the machine, so an active machine without a job was never one about to start.
 */
export async function closeOrphanedUpgrades(deps: {
  store: BdbStore;
  jobs: UpgradeJobs;
  logger: Logger;
  now?: () => number;
}): Promise<number> {
  const { store, jobs, logger, now } = deps;
  let closed = 0;
  for (const machine of await store.stateMachines()) {
    if (machine.name !== 'SMUpgradeBDB' || machine.status !== 'active') continue;
    const why = orphaned(await jobs.find(machine.action_uid));
    // endAbandonedUpgrade reads the machine again: a job that just ended it is left alone.
    if (!why || !(await endAbandonedUpgrade(store, machine.action_uid, why, now))) continue;
    logger.warn(
      { action_uid: machine.action_uid, bdb: machine.object_name, why },
      'ended an upgrade nothing would end',
    );
    closed += 1;
  }
  return closed;
}
