import type { LoadCheck } from '../modules/load-check-types.js';
// The RS v2 action object (GET /v2/actions, /v2/actions/<uid>) with modfleet's per-node ops.

export const OP_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type OpStatus = (typeof OP_STATUSES)[number];
export const TERMINAL_OP_STATUSES: readonly OpStatus[] = ['completed', 'failed', 'cancelled'];

export type ActionStatus = 'queued' | 'running' | 'completed' | 'failed';

/** One node's line under `additional_info.pending_ops`. */
export interface PendingOp {
  status: OpStatus;
  progress: number;
  attempts: number;
  error: string | null;
  /** Where an install's bytes came from, in the order used (`origin` or `node:<uid>`, with bytes). */
  sources?: { source: string; bytes: number }[];
  /** Installs: the node's module load check. */
  load_check?: LoadCheck;
}

export interface ActionObject {
  action_uid: string;
  action_type: 'task';
  name: string;
  status: ActionStatus;
  progress: number;
  /** Unix seconds. */
  creation_time: number;
  additional_info: {
    description: string;
    object_type: string;
    object_uid: string;
    /** Why the action failed as a whole (as RS's failed tasks say), when no single node's op did. */
    error?: string;
    /** Keyed by node uid. */
    pending_ops: Record<string, PendingOp>;
  };
}

/** 202 body of every route that starts an action (fleet push, delete, sync). */
export interface ActionAccepted {
  action_uid: string;
}
