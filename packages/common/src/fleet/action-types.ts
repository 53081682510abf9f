import type { ArtifactOpKind } from './queues.js';

export const OP_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type OpStatus = (typeof OP_STATUSES)[number];
export const TERMINAL_OP_STATUSES: readonly OpStatus[] = ['completed', 'failed', 'cancelled'];

/** One operation of an action on one node. */
export interface OpRecord {
  key: string;
  node_uid: number;
  op: ArtifactOpKind;
  module_name: string;
  version: number;
  sha256?: string | undefined;
  status: OpStatus;
  progress: number;
  attempts: number;
  error: string | null;
}

export type ActionStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface ActionMeta {
  action_uid: string;
  name: string;
  creation_time: number;
  description: string;
  object_type: string;
  object_uid: string;
  /** Identifies identical pushes: a re-submitted one returns this action while it runs. */
  dedupe_key?: string;
  /** Set once the parent job has reconciled every op. */
  finished_at?: number;
}

/** The RS v2 action object, with modfleet's per-node ops. */
export interface ActionObject {
  action_uid: string;
  action_type: 'task';
  name: string;
  status: ActionStatus;
  progress: number;
  creation_time: number;
  additional_info: {
    description: string;
    object_type: string;
    object_uid: string;
    pending_ops: Record<string, { status: OpStatus; progress: number; attempts: number; error: string | null }>;
  };
}
