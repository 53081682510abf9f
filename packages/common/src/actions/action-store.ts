import type { ActionMeta, OpRecord } from '../fleet/action-types.js';

export interface StoredAction {
  meta: ActionMeta;
  ops: OpRecord[];
}

/** The latest op on one node for one artifact: what the fleet view shows as pending or failed. */
export interface NodeOpSummary {
  action_uid: string;
  op: OpRecord['op'];
  status: OpRecord['status'];
  sha256?: string | undefined;
  error: string | null;
  load_check?: OpRecord['load_check'];
}

export interface ActionStore {
  create(meta: ActionMeta, ops: OpRecord[]): Promise<void>;
  /** Records an op's new state; ignored once the action has been trimmed away. */
  recordOp(actionUid: string, op: OpRecord): Promise<void>;
  get(actionUid: string): Promise<StoredAction | undefined>;
  /** Newest first. */
  list(limit: number): Promise<StoredAction[]>;
  /** Closes the action; `error` fails it as a whole (its ops could not be reconciled), saying why. */
  markFinished(actionUid: string, finishedAt: number, error?: string): Promise<void>;
  /** Drops the oldest actions beyond `keep` and any older than `maxAgeMs`. */
  trim(keep: number, maxAgeMs: number, now?: number): Promise<number>;
  /** Latest op per `<node uid>|<module_name>@<version>`. */
  nodeOps(): Promise<Map<string, NodeOpSummary>>;
  /** Drops the latest-op entries this action still owns (a finished delete: nothing left to show). */
  forgetOps(actionUid: string, ops: OpRecord[]): Promise<void>;
  /** Drops every latest-op entry of a node that left the cluster. */
  forgetNode(nodeUid: number): Promise<void>;
}

/** The node-op summary an op leaves behind in the fleet view. */
export const opSummary = (actionUid: string, op: OpRecord): NodeOpSummary => ({
  action_uid: actionUid,
  op: op.op,
  status: op.status,
  sha256: op.sha256,
  error: op.error,
  ...(op.load_check && { load_check: op.load_check }),
});

/** The order a stored action lists its ops in. */
export const byNodeThenKey = (a: OpRecord, b: OpRecord) => a.node_uid - b.node_uid || a.key.localeCompare(b.key);
