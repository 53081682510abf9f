import {
  TERMINAL_OP_STATUSES,
  type ActionObject,
  type ActionStatus,
  type OpStatus,
} from '../contract/action-object.js';
import type { ActionMeta, OpRecord } from '../fleet/action-types.js';

const isTerminal = (status: OpStatus) => TERMINAL_OP_STATUSES.includes(status);

/** A node's ops (usually one) folded into the node's line of `pending_ops`. */
function foldNode(ops: OpRecord[]) {
  const statuses = ops.map(op => op.status);
  let status: OpStatus;
  if (statuses.every(s => s === 'cancelled')) status = 'cancelled';
  else if (statuses.every(isTerminal)) status = statuses.includes('failed') ? 'failed' : 'completed';
  else if (statuses.some(s => s === 'running' || s === 'completed' || s === 'failed')) status = 'running';
  else status = 'queued';
  const progress = ops.reduce((sum, op) => sum + (isTerminal(op.status) ? 100 : op.progress), 0) / ops.length;
  const error = ops.map(op => op.error).find(e => e) ?? null;
  const sources = ops.flatMap(op => op.sources ?? []);
  const load_check = ops.map(op => op.load_check).find(check => check);
  return {
    status,
    progress: round(progress),
    attempts: Math.max(...ops.map(op => op.attempts)),
    error,
    ...(sources.length > 0 && { sources }),
    ...(load_check && { load_check }),
  };
}

function round(progress: number): number {
  return Math.round(progress * 10) / 10;
}

/**
 * `completed` only when every node completed (a node removed from the cluster counts as done);
 * `failed` once every node is terminal and one failed; progress is the mean of the nodes'.
 */
export function actionStatus(nodes: { status: OpStatus; progress: number }[]): {
  status: ActionStatus;
  progress: number;
} {
  if (nodes.length === 0) return { status: 'completed', progress: 100 };
  const progress = round(
    nodes.reduce((sum, node) => sum + (isTerminal(node.status) ? 100 : node.progress), 0) / nodes.length,
  );
  if (nodes.every(node => isTerminal(node.status))) {
    return { status: nodes.some(node => node.status === 'failed') ? 'failed' : 'completed', progress };
  }
  if (nodes.some(node => node.status !== 'queued')) return { status: 'running', progress };
  return { status: 'queued', progress };
}

/**
 * An action is terminal only once its parent job has closed it (`finished_at`). Until then an
 * op an agent reported done may still be retried by BullMQ, the node may not have finished its
 * job, and an identical push still joins this action: reporting it done would tell a client to
 * go on while all of that is still true.
 */
function reportedStatus(
  meta: ActionMeta,
  settled: { status: ActionStatus; progress: number },
): { status: ActionStatus; progress: number } {
  const terminal = settled.status === 'completed' || settled.status === 'failed';
  return terminal && meta.finished_at === undefined ? { ...settled, status: 'running' } : settled;
}

export function toActionObject(meta: ActionMeta, ops: OpRecord[]): ActionObject {
  const byNode = new Map<number, OpRecord[]>();
  for (const op of ops) byNode.set(op.node_uid, [...(byNode.get(op.node_uid) ?? []), op]);
  const pending_ops = Object.fromEntries(
    [...byNode].sort(([a], [b]) => a - b).map(([node, nodeOps]) => [String(node), foldNode(nodeOps)]),
  );
  const settled = actionStatus(Object.values(pending_ops));
  const failedAsAWhole = meta.error !== undefined && meta.finished_at !== undefined;
  const { status, progress } = reportedStatus(meta, failedAsAWhole ? { ...settled, status: 'failed' } : settled);
  return {
    action_uid: meta.action_uid,
    action_type: 'task',
    name: meta.name,
    status,
    progress,
    creation_time: meta.creation_time,
    additional_info: {
      description: meta.description,
      object_type: meta.object_type,
      object_uid: meta.object_uid,
      ...(failedAsAWhole && { error: meta.error }),
      pending_ops,
    },
  };
}
