import type { BdbObject } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointClient, killShardsOf, privateDbPorts, shardInfo } from '../helpers/databases.js';
import { startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { createMfverDb, installMfver, shardAnswers, upgradeBdb, waitForMachine } from '../helpers/upgrades.js';

const FILLER_KEYS = 2000;

describe('upgrading a replicated database’s module with a rolling restart (real processes)', () => {
  let cluster: FleetCluster;

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2, coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts() } });
    await installMfver(cluster, '1.0.0');
  });

  afterAll(async () => {
    if (!cluster) return;
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  });

  it('moves both shards from mfver 1.0.0 to 1.1.0 with the data intact, and records the upgrade', async () => {
    const bdb = await createMfverDb(cluster, { name: 'upgrade-smoke', replication: true });
    const endpoint = bdb.endpoints[0]!;
    const client = endpointClient(endpoint.addr[0]!, endpoint.port);
    await client.connect();
    await client.call('MFVER.SET', 'greeting', 'hello');
    const filler = client.pipeline();
    for (let i = 0; i < FILLER_KEYS; i++) filler.set(`fill:${i}`, 'x'.repeat(4096));
    await filler.exec();
    await client.call('WAIT', '1', '5000');
    client.disconnect();
    await installMfver(cluster, '1.1.0');

    const started = await upgradeBdb(cluster, bdb.uid, { redis_version: bdb.redis_version });

    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.status).toBe('active-change-pending');
    const machine = await waitForMachine(cluster, started.body.action_uid!);
    expect(machine, JSON.stringify(machine)).toMatchObject({ name: 'SMUpgradeBDB', status: 'completed' });
    expect(machine.states!.map(s => s.state)).toEqual([
      'init',
      'preflight',
      'prepare',
      'check_slaves',
      'restart',
      'failover',
      'restart',
      'completed',
    ]);
    // The pre-flight took the data from the replica for both nodes (the master, written to, was
    // never forked for it) and rehearsed the rollback once, on the replica's node.
    const [onMaster, onReplica] = ['master', 'slave'].map(role =>
      machine.preflight!.shards.find(s => s.role === role)!,
    );
    const replicaRef = { node_uid: onReplica!.node_uid, shard_uid: onReplica!.shard_uid };
    expect(onMaster).toMatchObject({
      data: { ok: true, copied_from: replicaRef },
      rollback: { possible: true, rehearsed_by: replicaRef },
    });
    expect(onReplica!.rollback).toEqual({ possible: true });
    const after = await cluster.api<BdbObject>(`/v1/bdbs/${bdb.uid}`);
    expect(after.body).toMatchObject({
      status: 'active',
      module_list: [expect.objectContaining({ module_name: 'mfver', semantic_version: '1.1.0' })],
      last_upgrade: {
        from: [expect.objectContaining({ semantic_version: '1.0.0' })],
        to: [expect.objectContaining({ semantic_version: '1.1.0' })],
      },
    });
    expect(after.body.endpoints[0]!.port).not.toBe(endpoint.port); // no proxy: the endpoint moved to the new master
    const answers = await shardAnswers(cluster, bdb.uid, 'greeting');
    expect(answers.map(a => [a.shard.role, a.semver, a.value]).sort()).toEqual([
      ['master', '1.1.0', 'hello'],
      ['slave', '1.1.0', 'hello'],
    ]);

    // Each restarted replica loaded what it saved at shutdown and resynced partially: the new master
    // (the first one restarted, the second one's master) never sent a full copy of the data.
    const restarts = machine.states!.filter(s => s.state === 'restart');
    expect(restarts.map(s => s.detail)).toEqual([
      expect.stringContaining('resynced partially') as string,
      expect.stringContaining('resynced partially') as string,
    ]);
    const master = answers.find(a => a.shard.role === 'master')!.shard;
    const stats = await shardInfo(master.port, 'stats');
    expect([stats.sync_full, Number(stats.sync_partial_ok) > 0]).toEqual(['0', true]);
    for (const { shard } of answers)
      expect(await shardInfo(shard.port, 'keyspace')).toMatchObject({
        db0: expect.stringContaining(`keys=${FILLER_KEYS + 1},`) as string,
      });
  });
});
