import {
  ACTIONS_QUEUE,
  childJobId,
  nodeQueueName,
  TERMINAL_OP_STATUSES,
  type ActionStore,
  type Logger,
  type OpRecord,
} from '@modfleet/common';
import { QueueKeys, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FleetArtifacts } from '../fleet/desired-state/fleet-artifacts.js';
import type { InflightStore } from './inflight-store.js';

/** How many action records are kept, and for how long. */
export const ACTION_RETENTION = { keep: 1000, maxAgeMs: 7 * 24 * 3600 * 1000 } as const;

/** What BullMQ recorded for a parent's children, by child job key: return values and failure reasons. */
export interface ChildOutcomes {
  values: Record<string, unknown>;
  failures: Record<string, string>;
}

export interface FinalizeDeps {
  actions: ActionStore;
  inflight: InflightStore;
  /** The BullMQ key of an op's child job, as ChildOutcomes names it. */
  jobKey: (op: OpRecord, actionUid: string) => string;
  /** The fleet's desired state, to tell a failed install from one a delete superseded. */
  artifacts?: Pick<FleetArtifacts, 'get'>;
  now?: () => number;
}

/**
 * An op's final state from its child's outcome; a child with neither was removed with its node.
 *
 * The agent's job processor records every state of an op it runs, a final failure before BullMQ
 * moves the job, so for those this changes nothing. It is the one writer for jobs no processor
 * finished: a job that stalled more than maxStalledCount times (BullMQ fails it on its next pickup
 * without running the processor), a report lost to a crash, a child gone with its node.
 */
export function settledOp(op: OpRecord, key: string, outcomes: ChildOutcomes): OpRecord | undefined {
  if (key in outcomes.values) return { ...op, status: 'completed', progress: 100, error: null };
  if (key in outcomes.failures) return { ...op, status: 'failed', error: outcomes.failures[key] ?? op.error };
  if (!TERMINAL_OP_STATUSES.includes(op.status))
    return { ...op, status: 'cancelled', error: op.error ?? 'node removed from the cluster' };
  return undefined;
}

/**
 * A failed install of bytes the fleet no longer wants (its artifact was deleted, or re-pushed
 * with other bytes, while the install waited or ran) was superseded: it ends cancelled, with
 * why, instead of failing its action with a download error from the vanished blob.
 */
export function supersededInstall(op: OpRecord, wantedSha256: string | undefined): OpRecord | undefined {
  if (op.op !== 'install' || op.status !== 'failed' || wantedSha256 === op.sha256) return undefined;
  const name = `${op.module_name}@${op.version}`;
  const why = wantedSha256
    ? `${name} was pushed again with other bytes (sha256 ${wantedSha256})`
    : `${name} was deleted from the fleet`;
  const failure = op.error ? `; the install had failed: ${op.error}` : '';
  return { ...op, status: 'cancelled', error: `superseded: ${why} before this node installed it${failure}` };
}

/**
 * Closes an action once every child is done: writes the outcome BullMQ recorded for each child
 * (agents report as they go, but a crash can lose a report), frees its dedupe key and trims the list.
 */
export async function finalizeAction(deps: FinalizeDeps, actionUid: string, outcomes: ChildOutcomes) {
  const { actions, now = Date.now } = deps;
  const stored = await actions.get(actionUid);
  if (!stored) return { missing: true as const };
  for (const op of stored.ops) {
    let next = settledOp(op, deps.jobKey(op, actionUid), outcomes);
    const settled = next ?? op;
    if (deps.artifacts && settled.op === 'install' && settled.status === 'failed') {
      const wanted = await deps.artifacts.get(settled.module_name, settled.version);
      next = supersededInstall(settled, wanted?.sha256) ?? next;
    }
    if (next && (next.status !== op.status || next.error !== op.error)) await actions.recordOp(actionUid, next);
  }
  await actions.markFinished(actionUid, now());
  // A node that deleted an artifact has nothing left to show for it in the fleet view.
  const finished = await actions.get(actionUid);
  await actions.forgetOps(
    actionUid,
    (finished?.ops ?? []).filter(op => op.op === 'delete' && op.status === 'completed'),
  );
  if (stored.meta.dedupe_key) await deps.inflight.release(stored.meta.dedupe_key, actionUid);
  const trimmed = await actions.trim(ACTION_RETENTION.keep, ACTION_RETENTION.maxAgeMs, now());
  return { completed: Object.keys(outcomes.values).length, failed: Object.keys(outcomes.failures).length, trimmed };
}

/** The BullMQ key of an op's child job, built by BullMQ's own QueueKeys. */
export const childJobKey =
  (queueKeys: { toKey(queue: string, type: string): string }) => (op: OpRecord, actionUid: string) =>
    queueKeys.toKey(nodeQueueName(op.node_uid), childJobId(actionUid, op.key));

/** Runs an action's parent job once every child is done, completed or failed. */
export function startActionFinalizer(deps: {
  connection: Redis;
  queuePrefix: string;
  actions: ActionStore;
  inflight: InflightStore;
  artifacts: Pick<FleetArtifacts, 'get'>;
  logger: Logger;
}): Worker {
  const { actions, inflight, artifacts, logger } = deps;
  const jobKey = childJobKey(new QueueKeys(deps.queuePrefix));

  async function finalize(job: Job<{ action_uid: string }>) {
    const actionUid = job.data.action_uid;
    const [values, failures] = await Promise.all([job.getChildrenValues(), job.getIgnoredChildrenFailures()]);
    const result = await finalizeAction({ actions, inflight, artifacts, jobKey }, actionUid, { values, failures });
    if ('missing' in result) return result;
    logger.info({ action_uid: actionUid, ...result }, 'action finished');
    return { completed: result.completed, failed: result.failed };
  }

  const worker = new Worker(ACTIONS_QUEUE, finalize, {
    connection: deps.connection,
    prefix: deps.queuePrefix,
    concurrency: 8,
  });
  worker.on('error', err => logger.error({ err }, 'action finalizer error'));
  worker.on('failed', (job, err) =>
    logger.error({ err, action_uid: job?.data.action_uid }, 'action finalization failed'),
  );
  return worker;
}
