// RS databases (bdbs) as clients read them, and the shard plans and reports the services exchange
// through Redis. This file runs in the browser too (the status page), so it imports nothing.

import type { BdbModuleEntry } from './bdb-module-entry.js';
import type { LastUpgrade, UpgradeModuleChange, UpgradePreflight } from './bdb-upgrade.js';

export type { BdbModuleEntry } from './bdb-module-entry.js';

/** `active-change-pending`: an upgrade is running (RS's status while a state machine changes an active database). */
export const BDB_STATUSES = [
  'pending',
  'active',
  'active-change-pending',
  'creation-failed',
  'delete-pending',
] as const;
export type BdbStatus = (typeof BDB_STATUSES)[number];

export const DATA_PERSISTENCE = ['disabled', 'aof', 'snapshot'] as const;
export type DataPersistence = (typeof DATA_PERSISTENCE)[number];

export interface BdbEndpoint {
  /** `<bdb uid>:1` */
  uid: string;
  addr: string[];
  addr_type: 'external';
  dns_name: string;
  port: number;
  proxy_policy: 'single';
}

/** The RS bdb object (the fields RS clients read; modfleet's own: `status_reason`). */
export interface BdbObject {
  uid: number;
  name: string;
  type: 'redis';
  status: BdbStatus;
  memory_size: number;
  /** What the request asked for: 0 when the cluster chose it (RS); the real one is in `endpoints`. */
  port: number;
  endpoints: BdbEndpoint[];
  module_list: BdbModuleEntry[];
  redis_version: string;
  version: string;
  replication: boolean;
  data_persistence: DataPersistence;
  shards_count: 1;
  sharding: false;
  shards_placement: 'dense';
  shard_list: number[];
  created_time: string;
  last_changed_time: string;
  /** The state machine of the create or delete still running. */
  action_uid?: string;
  /** Why the database is `creation-failed` (modfleet's own field). */
  status_reason?: string;
  /** The last finished module upgrade: what it moved from and to, and its rollback verdict (modfleet's own). */
  last_upgrade?: LastUpgrade;
}

/** One shard as `GET /v1/bdbs/<uid>/shards` shows it. */
export interface ShardObject {
  uid: string;
  bdb_uid: number;
  node_uid: string;
  role: 'master' | 'slave';
  assigned_slots: '0-16383';
  status: 'active' | 'inactive';
  detailed_status: string;
  loading: { status: 'idle' };
  /** The port the shard's redis-server listens on, on its node (modfleet's own). */
  port: number;
  /** What the node's agent last said about the process (modfleet's own). */
  report?: ShardReport;
}

/** One module a shard loads: the artifact the node holds and the args RS passes after its path. */
export interface ShardModule {
  module_name: string;
  version: number;
  module_args: string;
}

/** What the coordinator asks a node to run (`node:<uid>:shards`). */
export interface ShardPlan {
  shard_uid: number;
  bdb_uid: number;
  role: 'master' | 'slave';
  port: number;
  memory_size: number;
  data_persistence: DataPersistence;
  modules: ShardModule[];
  /** Replicas: the master's address and port. */
  replica_of?: { host: string; port: number };
}

export const SHARD_STATES = ['starting', 'running', 'failed'] as const;
export type ShardState = (typeof SHARD_STATES)[number];

/** What a node's agent says about one shard it runs (`shards:reports`). */
export interface ShardReport {
  node_uid: number;
  state: ShardState;
  /** failed: what redis-server said (the module loader's words, a port in use). */
  error?: string;
  pid?: number;
  /** shardPlanDigest of the plan the process runs under: the coordinator waits for the one it wrote. */
  plan_digest?: string;
  /** ISO 8601 */
  updated_at: string;
}

/** An RS state machine (`GET /v1/actions` "state-machines"). */
export interface StateMachineObject {
  action_uid: string;
  name: 'SMCreateBDB' | 'SMDeleteBDB' | 'SMUpgradeBDB';
  object_name: string;
  status: 'active' | 'completed' | 'failed';
  progress: number;
  /** Unix seconds of the last change. */
  heartbeat: number;
  /** Unix seconds. */
  creation_time: number;
  error?: string;
  /** The state it is in (SMUpgradeBDB: rladmin's names, e.g. `restart`, `failover`, `completed`). */
  state?: string;
  /** Every state it has passed, in order, with Unix seconds (the CLI prints them as rladmin does). */
  states?: { state: string; at: number; detail?: string }[];
  /** SMUpgradeBDB: the modules it moves and each hosting node's pre-flight (modfleet's own). */
  modules?: UpgradeModuleChange[];
  preflight?: UpgradePreflight;
  /** SMUpgradeBDB (modfleet's own): where the shards are going; a job resumed after a crash goes on that way. */
  heading?: UpgradeHeading;
}

/**
 * The versions an upgrade moves every shard to: its `modules[].to` until a failure, then `to`
 * (rolled forward: the master already ran them) or `from` (rolled back), `failure` saying why.
 */
export interface UpgradeHeading {
  toward: 'to' | 'from';
  failure?: string;
}

/** A v1 task (`GET /v1/actions` "actions"). */
export interface V1TaskObject {
  action_uid: string;
  task_id: string;
  name: string;
  status: string;
  progress: number;
  creation_time: string;
}

export interface V1ActionList {
  actions: V1TaskObject[];
  'state-machines': StateMachineObject[];
}
