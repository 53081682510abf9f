// Upgrading the modules a database runs (RS's POST /v1/bdbs/<uid>/upgrade, state machine
// SMUpgradeBDB) and what modfleet adds: a pre-flight on every hosting node and a rollback
// rehearsal. This file runs in the browser too (the status page), so it imports only types.
import type { BdbModuleEntry } from './bdb-module-entry.js';

/** RS's upgrade body (every field optional) and modfleet's own `modfleet_*` fields. */
export interface BdbUpgradeRequest {
  /** RS: set it to the database's current redis_version to upgrade the modules alone. */
  redis_version?: string;
  /** Per module: the args the new version loads with (absent: kept; `""`: cleared). */
  modules?: { module_name: string; new_module_args?: string }[];
  preserve_roles?: boolean;
  may_discard_data?: boolean;
  force_discard?: boolean;
  force_restart?: boolean;
  parallel_shards_upgrade?: number;
  /** modfleet: refuse the upgrade unless the rehearsal says the current version can read the new one's data. */
  modfleet_require_rollback?: boolean;
  /** modfleet: go back to the versions before the last upgrade (refused when its rehearsal said impossible). */
  modfleet_rollback?: boolean;
}

/** One module's move: what the database runs now, and what it will run. */
export interface UpgradeModuleChange {
  module_name: string;
  from: BdbModuleEntry;
  to: BdbModuleEntry;
}

/** Another shard of the database and the node hosting it. */
export interface ShardRef {
  node_uid: number;
  shard_uid: number;
}

/** One hosting node's pre-flight for one shard, each step in the loader's own words when it fails. */
export interface ShardPreflight {
  node_uid: number;
  shard_uid: number;
  role: 'master' | 'slave';
  /** The target versions, with their new args, loaded into a throwaway redis-server of this node. */
  load: { ok: boolean; error?: string };
  /**
   * A fresh copy (RDB) of the shard's data, loaded by the target versions; `keys` it held.
   * `copied_from`: the copy was taken from that shard, its in-sync replica (the same data), so the
   * master is not forked; absent: from this shard itself.
   */
  data: { ok: boolean; keys?: number; error?: string; copied_from?: ShardRef };
  /**
   * Rehearsal: that data saved by the target versions and loaded back by the current ones.
   * `rehearsed_by`: another shard holding the same data (the replica) rehearsed it, once for the
   * database, and this is its outcome; absent: this node rehearsed this shard.
   */
  rollback?: { possible: boolean; error?: string; rehearsed_by?: ShardRef };
  duration_ms: number;
}

export type RollbackVerdict = 'possible' | 'impossible' | 'not_rehearsed';

export interface UpgradePreflight {
  /** Every shard's load and data steps passed. */
  ok: boolean;
  shards: ShardPreflight[];
  rollback: RollbackVerdict;
  /** impossible: the first node's words. */
  rollback_reason?: string;
}

/** `POST /v1/bdbs/<uid>/upgrade?dry_run=true`: what would happen; nothing restarted, no action. */
export interface UpgradeDryRunAnswer {
  bdb_uid: number;
  dry_run: true;
  modules: UpgradeModuleChange[];
  preflight: UpgradePreflight;
}

/** modfleet's record on the bdb (`last_upgrade`) of its last finished upgrade, for `db rollback`. */
export interface LastUpgrade {
  action_uid: string;
  from: BdbModuleEntry[];
  to: BdbModuleEntry[];
  rollback: RollbackVerdict;
  rollback_reason?: string;
  /** ISO 8601 */
  finished_at: string;
}
