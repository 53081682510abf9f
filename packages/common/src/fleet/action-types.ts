import type { OpStatus } from '../contract/action-object.js';
import type { SourceUse } from '../pieces/relay-payload.js';
import type { LoadCheck } from '../modules/load-check-types.js';
import type { ArtifactOpKind } from './queues.js';

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
  /** Where an install's bytes came from (a peer `node:<uid>` or `origin`), in the order used. */
  sources?: SourceUse[] | undefined;
  /** Installs: the node's load check of the module. */
  load_check?: LoadCheck;
}

export interface ActionMeta {
  action_uid: string;
  name: string;
  creation_time: number;
  description: string;
  object_type: string;
  object_uid: string;
  /** Identifies identical pushes: a re-submitted one returns this action while it runs. */
  dedupe_key?: string;
  /** Set once the parent job has reconciled every op (or the orphan sweep closed the action). */
  finished_at?: number;
  /** Why the action failed as a whole, when it could not be closed from its ops (its finalizer gave up). */
  error?: string;
}
