import type { ShardModule, UpgradePreflight } from '@modfleet/common';
import type { BdbRecord } from '../bdb-store.js';

/**
 * Asks every node that hosts one of the database's shards to rehearse the upgrade on its own
 * redis-server: load the target modules with their new args, load a fresh copy of the shard's
 * data with them and, when asked, save it with the target and load it back with the current
 * modules (a replicated database: the copies come from its replica, whose node alone rehearses;
 * preflight-plan.ts). Nothing the database runs is touched.
 */
export interface PreflightRunner {
  run(
    record: BdbRecord,
    target: ShardModule[],
    options: { rehearseRollback: boolean; timeoutMs?: number },
  ): Promise<UpgradePreflight>;
}
