// RS's cluster event log (`GET /v1/logs`): a list of events `{time, type, severity, …}`. modfleet
// records who changed modules, artifacts and databases, and from where. This file imports nothing.

export type LogSeverity = 'INFO' | 'WARNING' | 'ERROR';

/** The event types modfleet records (RS's own names where RS has the event, e.g. `cluster_bdb_created`). */
export const LOG_EVENT_TYPES = [
  'module_artifact_push_started',
  'module_artifact_delete_started',
  'module_artifacts_sync_started',
  'cluster_bdb_created',
  'cluster_bdb_deleted',
  'bdb_upgrade_started',
] as const;
export type LogEventType = (typeof LOG_EVENT_TYPES)[number];

/** One event. RS's fields: `time`, `type`, `severity` and the object's (`bdb_uid`, `bdb_name`); the rest are modfleet's. */
export interface LogEvent {
  /** ISO 8601, UTC, whole seconds (RS: `2014-08-29T11:19:49Z`). */
  time: string;
  type: LogEventType;
  severity: LogSeverity;
  /** The email of the user whose request it was. */
  user: string;
  /** The client address the request came from. */
  client_addr: string;
  /** The action or state machine the request started. */
  action_uid?: string;
  module_name?: string;
  version?: number;
  /** A push to some nodes only: their uids. */
  nodes?: number[];
  /** A push from a URL: where the artifact came from, without credentials, query or fragment. */
  source_url?: string;
  bdb_uid?: string;
  bdb_name?: string;
}

/** `GET /v1/logs` query parameters, as RS names them. */
export interface LogQuery {
  /** ISO 8601: no events before it. */
  stime?: string;
  /** ISO 8601: no events after it. */
  etime?: string;
  /** `asc` (RS's default) or `desc`. */
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}
