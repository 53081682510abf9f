import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ACTIONS_QUEUE,
  childJobId,
  FINISHED_JOB_RETENTION,
  NODE_JOB_ATTEMPTS,
  NODE_JOB_BACKOFF,
  nodeQueueName,
  pathTo,
  routes,
  type ActionMeta,
  type ActionStore,
  type ArtifactJob,
  type ArtifactOpKind,
  type OpRecord,
} from '@modfleet/common';
import type { FlowProducer } from 'bullmq';
import type { InflightStore } from '../../actions/inflight-store.js';
import type { DistributionPlanner } from '../distribution/distribution-planner.js';

/** Tries of an action's parent job (its finalizer): a Redis hiccup must not leave the action open. */
export const FINALIZE_ATTEMPTS = 5;

const HOLDER_RECORD_WAIT_MS = 10_000;
const HOLDER_RECORD_POLL_MS = 20;

export interface PlannedOp {
  node_uid: number;
  op: ArtifactOpKind;
  module_name: string;
  version: number;
  sha256?: string | undefined;
  size?: number | undefined;
  replace?: boolean;
}

export interface ActionRequest {
  name: string;
  description: string;
  object_type: string;
  object_uid: string;
  ops: PlannedOp[];
  /** Identical requests share one in-flight action. */
  dedupeKey?: string;
}

export interface Dispatcher {
  dispatch(request: ActionRequest): Promise<{ action_uid: string; reused: boolean }>;
}

/**
 * Turns a request into an action: the dedupe key claimed first (SET NX, before anything is
 * written), then its record (so agents can report on it at once),
 * then one BullMQ flow — the action as parent, one child per op on its node's queue — added
 * atomically. A failed child never holds the parent (`ignoreDependencyOnFailure`).
 */
export function createDispatcher(deps: {
  inflight: InflightStore;
  actions: ActionStore;
  flows: Pick<FlowProducer, 'add'>;
  now?: () => number;
  /** Adds pieces and sources to install jobs (peer relay); without it nodes fetch from the coordinator. */
  distribution?: DistributionPlanner;
  /** Holds the answer until a replica has the action and its jobs (see replica-ack.ts). */
  confirmWrites?: () => Promise<void>;
  /** How long a dedupe key's holder may take to write its action record (default 10 s). */
  holderRecordWaitMs?: number;
}): Dispatcher {
  const { inflight, actions, flows, now = Date.now, holderRecordWaitMs = HOLDER_RECORD_WAIT_MS } = deps;
  // The key is claimed before the record is written, so a holder without a record is usually one
  // that is still writing it: wait for it rather than take the key over (two actions for one push).
  const isRunning = async (actionUid: string) => {
    const deadline = Date.now() + holderRecordWaitMs;
    for (;;) {
      const action = await actions.get(actionUid);
      if (action) return action.meta.finished_at === undefined;
      // Never written: its dispatcher died between the claim and the record (or it was trimmed).
      if (Date.now() >= deadline) return false;
      await sleep(HOLDER_RECORD_POLL_MS);
    }
  };

  return {
    async dispatch(request) {
      const action_uid = randomUUID();
      if (request.dedupeKey) {
        const running = await inflight.claim(request.dedupeKey, action_uid, isRunning);
        if (running) return { action_uid: running, reused: true };
      }
      const meta: ActionMeta = {
        action_uid,
        name: request.name,
        creation_time: Math.floor(now() / 1000),
        description: request.description,
        object_type: request.object_type,
        object_uid: request.object_uid,
        ...(request.dedupeKey && { dedupe_key: request.dedupeKey }),
      };
      const ops: OpRecord[] = request.ops.map((op, index) => ({
        key: `${op.node_uid}-${index}`,
        node_uid: op.node_uid,
        op: op.op,
        module_name: op.module_name,
        version: op.version,
        sha256: op.sha256,
        status: 'queued',
        progress: 0,
        attempts: 0,
        error: null,
      }));
      const relay = deps.distribution ? await deps.distribution(request.ops) : [];
      await actions.create(meta, ops);

      await flows.add({
        name: request.name,
        queueName: ACTIONS_QUEUE,
        data: { action_uid },
        // Retried: the action reads as finished only once this job has closed it (finalizeAction is idempotent).
        opts: { jobId: action_uid, attempts: FINALIZE_ATTEMPTS, backoff: NODE_JOB_BACKOFF, ...FINISHED_JOB_RETENTION },
        children: ops.map((op, index) => {
          const planned = request.ops[index]!;
          const data: ArtifactJob = {
            action_uid,
            op_key: op.key,
            node_uid: op.node_uid,
            op: op.op,
            module_name: op.module_name,
            version: op.version,
            ...(planned.sha256 && { sha256: planned.sha256, url: pathTo(routes.blob, { sha256: planned.sha256 }) }),
            ...(planned.size !== undefined && { size: planned.size }),
            ...(planned.replace && { replace: true }),
            ...relay[index],
          };
          return {
            name: op.op,
            queueName: nodeQueueName(op.node_uid),
            data,
            opts: {
              jobId: childJobId(action_uid, op.key),
              attempts: NODE_JOB_ATTEMPTS,
              backoff: NODE_JOB_BACKOFF,
              ignoreDependencyOnFailure: true,
              ...FINISHED_JOB_RETENTION,
            },
          };
        }),
      });
      await deps.confirmWrites?.();
      return { action_uid, reused: false };
    },
  };
}
