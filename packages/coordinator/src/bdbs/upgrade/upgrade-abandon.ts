import type { BdbStore } from '../bdb-store.js';
import { databaseDeleted, deletedUnder } from './database-deleted.js';
import { UpgradeMachine } from './upgrade-machine.js';
import { shardVersions } from './upgrade-shard-versions.js';

const bdbUidOf = (objectName: string) => Number(objectName.replace(/^bdb:/, ''));

/**
 * Ends an upgrade that no job will ever finish (its job failed for good, or is gone), without
 * restarting any shard: the machine `failed` with `why`, the database `active` again under the
 * versions its shards' plans name, which the machine's last state spells out (mixed ones
 * included). A database deleted meanwhile ends the machine saying so; one whose record no longer
 * names this upgrade (settled already, another change begun since) is left as it is.
 * False when the machine is not an active upgrade (ended already, by its job or another sweep).
 */
export async function endAbandonedUpgrade(
  store: BdbStore,
  actionUid: string,
  why: string,
  now: () => number = Date.now,
): Promise<boolean> {
  const machine = await UpgradeMachine.load(store, actionUid, now);
  if (machine?.machine.name !== 'SMUpgradeBDB' || !machine.active) return false;
  const uid = bdbUidOf(machine.machine.object_name);
  const record = await store.get(uid);
  if (deletedUnder(record)) {
    await machine.end('failed', databaseDeleted(uid), databaseDeleted(uid));
    return true;
  }
  const reports = await store.reports(record!.placement.map(s => s.plan.shard_uid));
  const found = shardVersions(record!, machine.machine.modules ?? [], reports);
  if (record!.action_uid === actionUid) {
    const { action_uid: _done, ...rest } = record!;
    await store.save({
      ...rest,
      status: 'active',
      module_list: found.moduleList,
      last_changed_time: new Date(now()).toISOString(),
    });
  }
  await machine.end('failed', `stopped, nothing restarted since: ${found.words}`, why);
  return true;
}
