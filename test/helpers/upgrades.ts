import { pathTo, routes, type BdbObject, type BdbUpgradeRequest, type ShardObject } from '@modfleet/common';
import { readerOf, waitForMachineEnd } from './action-wait.js';
import { endpointClient, shardsOf, waitForBdbStatus } from './databases.js';
import type { FleetCluster } from './fleet-cluster.js';
import { testModuleManifest, testModuleZip, type MfverSemver } from './test-modules.js';

/** Pushes mfver `semver` to every node and creates its CCS module object. */
export async function installMfver(cluster: FleetCluster, semver: MfverSemver): Promise<void> {
  const pushed = await cluster.push(await testModuleZip(semver));
  if (!pushed.body.action_uid) throw new Error(`push refused: ${JSON.stringify(pushed.body)}`);
  const action = await cluster.waitForAction(pushed.body.action_uid, { timeoutMs: 30_000 });
  if (action.status !== 'completed') throw new Error(`push ended ${action.status}`);
  const created = await cluster.api(routes.userDefinedModules, { method: 'POST', json: testModuleManifest(semver) });
  if (created.status !== 200) throw new Error(`module object: ${created.status} ${JSON.stringify(created.body)}`);
}

/** Creates an mfver database and waits until it is active. */
export async function createMfverDb(
  cluster: FleetCluster,
  options: { name: string; replication: boolean; data_persistence?: 'disabled' | 'aof' | 'snapshot' },
): Promise<BdbObject> {
  const created = await cluster.api<BdbObject>(routes.bdbs, {
    method: 'POST',
    json: { memory_size: 0, module_list: [{ module_name: 'mfver', module_args: '' }], ...options },
  });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const bdb = await waitForBdbStatus(cluster.coordinator.url, cluster.admin, created.body.uid, 'pending');
  if (bdb.status !== 'active') throw new Error(`create ended ${bdb.status}: ${bdb.status_reason ?? ''}`);
  return bdb;
}

export const upgradeBdb = (cluster: FleetCluster, uid: number, body: BdbUpgradeRequest = {}, query = '') =>
  cluster.api<BdbObject & { action_uid?: string; error_code?: string; description?: string }>(
    `${pathTo(routes.bdbUpgrade, { uid })}${query}`,
    { method: 'POST', json: body },
  );

/** Polls GET /v1/actions/<uid> until the state machine is no longer active. */
export const waitForMachine = (cluster: FleetCluster, actionUid: string, timeoutMs = 90_000) =>
  waitForMachineEnd(
    readerOf(path => cluster.api(path)),
    actionUid,
    { timeoutMs, intervalMs: 200 },
  );

/** Each shard's MFVER.SEMVER and MFVER.GET <key>, as its own redis-server answers. */
export async function shardAnswers(
  cluster: FleetCluster,
  uid: number,
  key: string,
): Promise<{ shard: ShardObject; semver: string; value: unknown }[]> {
  const shards = await shardsOf(cluster.coordinator.url, cluster.admin, uid);
  return Promise.all(
    shards.map(async shard => {
      const client = endpointClient('127.0.0.1', shard.port);
      try {
        await client.connect();
        return {
          shard,
          semver: String(await client.call('MFVER.SEMVER')),
          value: await client.call('MFVER.GET', key),
        };
      } finally {
        client.disconnect();
      }
    }),
  );
}
