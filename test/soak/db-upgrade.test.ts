import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes, type BdbObject, type ModuleObject } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointClient, killShardsOf, privateDbPorts, shardsOf } from '../helpers/databases.js';
import { startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { pollFor } from '../helpers/poll.js';
import { expectRsError } from '../helpers/rs-error.js';
import { createMfverDb, installMfver, shardAnswers, upgradeBdb, waitForMachine } from '../helpers/upgrades.js';
import { lostWrites, startWriteLoad } from '../helpers/write-load.js';

/** Every shard answers MFVER.SEMVER with one version, and the key's value on each. */
async function versionsOf(cluster: FleetCluster, uid: number, key: string) {
  const answers = await shardAnswers(cluster, uid, key);
  return { semvers: [...new Set(answers.map(a => a.semver))], values: answers.map(a => a.value) };
}

async function seed(cluster: FleetCluster, bdb: BdbObject, key: string, value: string) {
  const endpoint = bdb.endpoints[0]!;
  const client = endpointClient(endpoint.addr[0]!, endpoint.port);
  await client.connect();
  await client.call('MFVER.SET', key, value);
  if (bdb.replication) await client.call('WAIT', '1', '5000');
  client.disconnect();
}

describe('upgrading databases’ modules under load and faults (real processes)', () => {
  let cluster: FleetCluster;
  const dbs: Record<string, BdbObject> = {};

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2, coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts(12) } });
    await installMfver(cluster, '1.0.0');
    for (const [name, replication, data_persistence] of [
      ['load', true, 'disabled'],
      ['roles', true, 'disabled'],
      ['aof', false, 'aof'],
      ['crash', true, 'aof'],
      ['agentkill', true, 'disabled'],
    ] as const) {
      dbs[name] = await createMfverDb(cluster, { name, replication, data_persistence });
      await seed(cluster, dbs[name], 'kept', name);
    }
    await installMfver(cluster, '1.1.0');
  }, 120_000);

  afterAll(async () => {
    if (!cluster) return;
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  });

  it('loses no acknowledged write under a write load, and a downgrade after it is refused', async () => {
    const bdb = dbs.load!;
    const load = startWriteLoad(cluster, bdb.uid);
    await sleep(1000);

    const started = await upgradeBdb(cluster, bdb.uid, {});
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const machine = await waitForMachine(cluster, started.body.action_uid!);
    await sleep(1000);
    const { acknowledged, longestWaitMs, errors } = await load.stop();

    expect(machine.status, JSON.stringify(machine.states)).toBe('completed');
    console.log(
      `upgrade under load: ${acknowledged.length} writes acknowledged, ${errors} errors retried, longest wait ${longestWaitMs} ms`,
    );
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(await lostWrites(cluster, bdb.uid, acknowledged)).toEqual([]);
    expect(await versionsOf(cluster, bdb.uid, 'kept')).toEqual({ semvers: ['1.1.0'], values: ['load', 'load'] });

    const modules = await cluster.api<ModuleObject[]>(routes.modules);
    const older = modules.body.find(m => m.module_name === 'mfver' && m.semantic_version === '1.0.0')!;
    const refused = await cluster.api(pathTo(routes.moduleUpgradeBdb, { uid: bdb.uid }), {
      method: 'POST',
      json: { modules: [{ module_name: 'mfver', new_module: older.uid }] },
    });
    expectRsError(refused, 406, 'module_downgrade_unsupported');
  });

  it('with preserve_roles switches back: the endpoint stays where it was', async () => {
    const bdb = dbs.roles!;
    const started = await upgradeBdb(cluster, bdb.uid, { preserve_roles: true });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const actionUid = started.body.action_uid!;
    // The switch back changes roles only: the agents apply it live, the processes stay.
    await pollFor(
      () => cluster.api<{ state?: string }>(pathTo(routes.v1Action, { uid: actionUid })),
      r => r.body.state === 'second_failover',
      'the second failover',
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    const pidsBefore = (await shardsOf(cluster.coordinator.url, cluster.admin, bdb.uid)).map(s => s.report?.pid);
    const machine = await waitForMachine(cluster, actionUid);
    expect(machine.status).toBe('completed');
    const pidsAfter = (await shardsOf(cluster.coordinator.url, cluster.admin, bdb.uid)).map(s => s.report?.pid);
    expect(pidsAfter).toEqual(pidsBefore);
    const after = await cluster.api<BdbObject>(pathTo(routes.bdb, { uid: bdb.uid }));
    expect(after.body.endpoints[0]!.port).toBe(bdb.endpoints[0]!.port);
    expect(await versionsOf(cluster, bdb.uid, 'kept')).toEqual({ semvers: ['1.1.0'], values: ['roles', 'roles'] });
  });

  it('restarts a non-replicated aof database’s one shard, saying it is down meanwhile, its data reloaded', async () => {
    const bdb = dbs.aof!;
    const started = await upgradeBdb(cluster, bdb.uid, {});
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.description).toContain('down while its shard restarts');
    const machine = await waitForMachine(cluster, started.body.action_uid!);
    expect(machine.status).toBe('completed');
    expect(machine.states!.find(s => s.state === 'restart')?.detail).toContain('the database is down');
    expect(await versionsOf(cluster, bdb.uid, 'kept')).toEqual({ semvers: ['1.1.0'], values: ['aof'] });
  });

  for (const victim of ['coordinator', 'agent'] as const) {
    it(`ends active on one version when the ${victim} is SIGKILLed at a random state`, async () => {
      const seedValue = Number(process.env.UPGRADE_SEED ?? Date.now() % 100_000);
      const states = ['check_slaves', 'restart', 'failover'];
      const chosen = states[seedValue % states.length]!;
      console.log(`SIGKILL of the ${victim} at state ${chosen} (UPGRADE_SEED=${seedValue})`);
      const bdb = victim === 'coordinator' ? dbs.crash! : dbs.agentkill!;
      const started = await upgradeBdb(cluster, bdb.uid, {});
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      const actionUid = started.body.action_uid!;
      await pollFor(
        () => cluster.api<{ state?: string; status: string }>(pathTo(routes.v1Action, { uid: actionUid })),
        r => r.body.state === chosen || r.body.status !== 'active',
        `state ${chosen}`,
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      if (victim === 'coordinator') {
        await cluster.killCoordinator();
        await cluster.startCoordinator();
      } else {
        const shards = await shardsOf(cluster.coordinator.url, cluster.admin, bdb.uid);
        const replicaNode = Number(shards.find(s => s.role === 'slave')!.node_uid);
        const agent = cluster.agent(replicaNode);
        await cluster.killAgent(agent);
        await cluster.startAgent(agent);
      }
      const machine = await waitForMachine(cluster, actionUid, 120_000);
      console.log(`ended ${machine.status}: ${machine.states!.map(s => s.state).join(' → ')} ${machine.error ?? ''}`);
      const after = await cluster.api<BdbObject>(pathTo(routes.bdb, { uid: bdb.uid }));
      expect(after.body.status).toBe('active');
      const name = victim === 'coordinator' ? 'crash' : 'agentkill';
      const seen = await pollFor(
        () => versionsOf(cluster, bdb.uid, 'kept'),
        v => v.semvers.length === 1 && v.values.every(value => value === name),
        'every shard on one version with the data',
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(seen.semvers).toEqual([after.body.module_list[0]!.semantic_version]);
    });
  }
});
