import type { RollbackVerdict, ShardModule, UpgradeModuleChange } from '@modfleet/common';

/** What the route hands the upgrade job (kept by BullMQ in Redis: a resumed job reads it again). */
export interface UpgradeJobData {
  action_uid: string;
  bdb_uid: number;
  /** The master's shard uid when the upgrade began (preserve_roles switches back to it). */
  master_shard: number;
  from: ShardModule[];
  to: ShardModule[];
  changes: UpgradeModuleChange[];
  preserve_roles: boolean;
  rollback: RollbackVerdict;
  rollback_reason?: string;
}

/** Queues an upgrade job; any coordinator's worker runs it. */
export interface UpgradeQueue {
  enqueue(job: UpgradeJobData): Promise<void>;
}
