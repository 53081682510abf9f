import type { BdbRecord, BdbStore } from './bdb-store.js';

/** How long a database may stay pending (or delete-pending) without every agent's answer. */
export const BDB_SETTLE_TIMEOUT_MS = 60_000;

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Moves a pending database to active or creation-failed, and a delete-pending one out of the CCS,
 * from the agents' shard reports; called on every read, so no coordinator loop is needed and any
 * coordinator of the cluster can do it. Returns the record as it now is (undefined: deleted).
 */
export async function settleBdb(
  store: BdbStore,
  record: BdbRecord,
  now: () => number = Date.now,
): Promise<BdbRecord | undefined> {
  if (record.status !== 'pending' && record.status !== 'delete-pending') return record;
  const shardUids = record.placement.map(s => s.plan.shard_uid);
  const reports = await store.reports(shardUids);
  const machine = record.action_uid ? await store.stateMachine(record.action_uid) : undefined;
  const stamp = new Date(now()).toISOString();
  const overdue = now() - Date.parse(record.last_changed_time) > BDB_SETTLE_TIMEOUT_MS;

  if (record.status === 'delete-pending') {
    if (reports.size > 0 && !overdue) return record;
    // The store forgets the delete's state machine too: RS clients poll it until action_not_found.
    await store.remove(record);
    return undefined;
  }

  const failed = record.placement.find(s => reports.get(s.plan.shard_uid)?.state === 'failed');
  const silent = record.placement.filter(s => !reports.has(s.plan.shard_uid)).map(s => s.node_uid);
  let reason: string | undefined;
  if (failed) {
    const report = reports.get(failed.plan.shard_uid)!;
    reason = `shard ${failed.plan.shard_uid} on node ${failed.node_uid}: ${report.error ?? 'redis-server did not start'}`;
  } else if (overdue) {
    reason = silent.length
      ? `node(s) ${silent.join(', ')} did not answer within ${BDB_SETTLE_TIMEOUT_MS / 1000} s`
      : `the shards did not start within ${BDB_SETTLE_TIMEOUT_MS / 1000} s`;
  }
  const running = record.placement.every(s => reports.get(s.plan.shard_uid)?.state === 'running');
  if (!reason && !running) return record;

  const { action_uid: _done, ...rest } = record;
  const settled: BdbRecord = reason
    ? { ...rest, status: 'creation-failed', status_reason: reason, last_changed_time: stamp }
    : { ...rest, status: 'active', last_changed_time: stamp };
  const heartbeat = unixSeconds(now());
  if (machine) {
    await store.saveStateMachine(
      reason
        ? { ...machine, status: 'failed', error: reason, heartbeat }
        : { ...machine, status: 'completed', progress: 100, heartbeat },
    );
  }
  // A database that could not start keeps no process: its shards are withdrawn from the nodes.
  if (reason) await store.withdraw(settled);
  else await store.save(settled);
  return settled;
}
