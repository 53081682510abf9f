import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes, type BdbObject, type ModuleObject, type StateMachineObject } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointClient, killShardsOf, privateDbPorts, shardsOf } from '../helpers/databases.js';
import { startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { pollFor } from '../helpers/poll.js';
import { expectRsError } from '../helpers/rs-error.js';
import { createMfverDb, installMfver, shardAnswers, upgradeBdb, waitForMachine } from '../helpers/upgrades.js';
import {
  breakModule,
  describePoint,
  FAULT_POINTS,
  reached,
  repeatedStates,
  seeded,
  versionSaid,
  type FaultedAction,
} from '../helpers/upgrade-faults.js';
import { lostWrites, startWriteLoad } from '../helpers/write-load.js';

/** Each state the upgrade enters is held this long (MODFLEET_TEST_TIMINGS), so a SIGKILL lands in it. */
const HOLD_MS = 1_000;
/** A SIGKILL during the pre-flight comes this soon after the POST (its rehearsal takes longer on the nodes). */
const PREFLIGHT_KILL_WITHIN_MS = 600;
const MFVER_110 = 10100;

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
    cluster = await startFleetCluster({
      nodes: 2,
      coordinatorEnv: {
        MODFLEET_DB_PORTS: await privateDbPorts(12),
        MODFLEET_TEST_TIMINGS: JSON.stringify({ upgradeStateHoldMs: HOLD_MS }),
      },
    });
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

  /** Starts the faulted action; resolves with the POST's answer (the action's uid when it was accepted). */
  async function startAction(bdb: BdbObject, action: FaultedAction) {
    if (action === 'db_rollback') {
      const first = await upgradeBdb(cluster, bdb.uid, {});
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect((await waitForMachine(cluster, first.body.action_uid!)).status).toBe('completed');
    }
    const body =
      action === 'preserve_roles'
        ? { preserve_roles: true }
        : action === 'db_rollback'
          ? { modfleet_rollback: true }
          : {};
    return upgradeBdb(cluster, bdb.uid, body);
  }

  const machineOf = (actionUid: string) => cluster.api<StateMachineObject>(pathTo(routes.v1Action, { uid: actionUid }));

  /** The agent of the node that hosts the replica now (the shard an upgrade restarts). */
  async function replicaAgent(uid: number) {
    const shards = await shardsOf(cluster.coordinator.url, cluster.admin, uid);
    return cluster.agent(Number(shards.find(s => s.role === 'slave')!.node_uid));
  }

  for (const [victim, offset] of [
    ['coordinator', 0],
    ['agent', 7],
  ] as const) {
    it(`ends active on one version, the action's, when the ${victim} is SIGKILLed at a random state`, async () => {
      const seedValue = Number(process.env.UPGRADE_SEED ?? Date.now() % 100_000);
      const draw = seeded(seedValue + offset);
      const point = FAULT_POINTS[Math.floor(draw() * FAULT_POINTS.length)]!;
      const delayMs = Math.floor(draw() * (point.state === 'preflight' ? PREFLIGHT_KILL_WITHIN_MS : HOLD_MS));
      const when = point.action === 'broken_module' ? 'once its shards move' : `+ ${delayMs} ms`;
      console.log(`SIGKILL of the ${victim}: ${describePoint(point)} ${when} (UPGRADE_SEED=${seedValue})`);
      const name = victim === 'coordinator' ? 'crash' : 'agentkill';
      const bdb = dbs[name]!;
      const agent = await replicaAgent(bdb.uid);
      let restore = async () => {};

      const posted = startAction(bdb, point.action);
      let actionUid: string | undefined;
      if (point.state === 'preflight') {
        void posted.catch(() => undefined);
        await sleep(delayMs);
      } else {
        const started = await posted;
        expect(started.status, JSON.stringify(started.body)).toBe(200);
        actionUid = started.body.action_uid!;
        if (point.action === 'broken_module') {
          await pollFor(
            () => machineOf(actionUid!),
            r => reached(r.body, { ...point, state: 'restart' }),
            'restart',
            {
              timeoutMs: 60_000,
              intervalMs: 20,
            },
          );
          restore = await breakModule(agent.dataDir, 'mfver', MFVER_110);
        }
        await pollFor(
          () => machineOf(actionUid!),
          r => reached(r.body, point),
          describePoint(point),
          {
            timeoutMs: 60_000,
            intervalMs: 20,
          },
        );
        if (point.action === 'broken_module') {
          // Past the hold: the replica's plan is back on the old version, its restart under way.
          await pollFor(
            async () => ({
              machine: (await machineOf(actionUid!)).body,
              shards: await shardsOf(cluster.coordinator.url, cluster.admin, bdb.uid),
            }),
            ({ machine, shards }) => machine.status !== 'active' || shards.every(s => s.report?.state !== 'failed'),
            'the roll-back under way',
            { timeoutMs: 30_000, intervalMs: 20 },
          );
        } else await sleep(delayMs);
      }
      const victimAgent = victim === 'agent' ? await replicaAgent(bdb.uid).catch(() => agent) : undefined;
      if (victimAgent) await cluster.killAgent(victimAgent);
      else await cluster.killCoordinator();
      await restore();
      if (victimAgent) await cluster.startAgent(victimAgent);
      else await cluster.startCoordinator();

      if (point.state === 'preflight') {
        const answer = await posted.catch((err: Error) => err);
        console.log(`the POST during the pre-flight: ${answer instanceof Error ? answer.message : answer.status}`);
        if (!(answer instanceof Error) && answer.status === 200) actionUid = answer.body.action_uid;
      }
      const after = await pollFor(
        () => cluster.api<BdbObject>(pathTo(routes.bdb, { uid: bdb.uid })),
        r => r.body.status === 'active',
        'the database active again',
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      const machine = actionUid ? await waitForMachine(cluster, actionUid, 120_000) : undefined;
      if (machine) {
        const listed = machine.states!.map(s => `${s.state}${s.detail?.includes('resumed here') ? ' (resumed)' : ''}`);
        console.log(`ended ${machine.status}: ${listed.join(' → ')} ${machine.error ?? ''}`);
        expect(repeatedStates(machine)).toEqual([]);
      }
      if (point.action === 'broken_module') {
        // The roll-back began before the kill: the resumed job finishes it, though the module loads again.
        expect(machine?.status).toBe('failed');
        expect(machine?.states?.at(-1)?.detail).toMatch(/^rolled back/);
      }
      const seen = await pollFor(
        () => versionsOf(cluster, bdb.uid, 'kept'),
        v => v.semvers.length === 1 && v.values.every(value => value === name),
        'every shard on one version with the data',
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      const module = after.body.module_list[0]!.semantic_version;
      expect(seen.semvers).toEqual([module]);
      if (machine) expect(module).toBe(versionSaid(machine));
    });
  }
});
