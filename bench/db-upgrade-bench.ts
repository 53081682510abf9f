/**
 * Database upgrade bench (issue 18): `POST /v1/bdbs/<uid>/upgrade` of a replicated database
 * holding `--size-mib` (mfver 1.0.0 → 1.1.0) under a client writing through the endpoint, against
 * the same steps done by hand on throwaway redis-servers with the same module and data, in the
 * same run. Targets: the longest client wait ≤ 2 × the client-visible gap of a `REPLICAOF NO ONE`
 * promotion by hand; POST → `completed` ≤ 2 × (two restarts + one full sync) by hand; no
 * acknowledged write lost. Also printed, without a target of its own: the rolling restart alone
 * (POST answered → completed; the POST answers after the pre-flight, which has its own bench,
 * bench/preflight-bench.ts) against the same by-hand steps, and how each restarted replica
 * resynced (partially or with a full copy), as the upgrade's `restart` states say.
 *
 *   npx tsc -b && npx tsx bench/db-upgrade-bench.ts [--runs 1] [--size-mib 100] [--trace]
 *
 * `--trace` prints, for each run, the longest client wait against the switch's steps (the
 * coordinator's and agents' log lines) and the promotion by hand's, in ms from the pause.
 *
 * Real processes: `modfleet coordinator` + 2 agents (the built CLI).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { findRedisServer, pathTo, routes, type BdbObject } from '@modfleet/common';
import { createApiClient } from '../packages/cli/src/client/api-client.js';
import { readerOf, waitForMachineEnd } from '../test/helpers/action-wait.js';
import { killShardsOf, privateDbPorts, waitForBdbStatus } from '../test/helpers/databases.js';
import { startFleetCluster, type FleetCluster } from '../test/helpers/fleet-cluster.js';
import { killAllProcesses } from '../test/helpers/processes.js';
import { deletePrefix } from '../test/helpers/redis.js';
import { testModulePath } from '../test/helpers/test-modules.js';
import { installMfver, upgradeBdb } from '../test/helpers/upgrades.js';
import {
  bdbEndpoint,
  directClient,
  lostWritesAt,
  startWriteLoop,
  type Endpoint,
  type WaitTrace,
  type WriteLoopResult,
} from '../test/helpers/write-load.js';
import { fillWithData } from './lib/fill-data.js';
import { handTraceLine, measureByHand, type ByHandResult } from './lib/upgrade-by-hand.js';
import {
  benchPrefix,
  checkBuild,
  Cleanup,
  fixed,
  machineLine,
  median,
  runBench,
  verdict,
  writeResult,
} from './lib/util.js';
import { preflightLines, traceLines } from './lib/upgrade-trace.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    'size-mib': { type: 'string', default: '100' },
    trace: { type: 'boolean', default: false },
  },
});
const runs = Number(flags.runs);
const sizeMib = Number(flags['size-mib']);

interface UpgradeRun {
  keys: number;
  /** Each agent's pre-flight answer: when, from the POST, and its step times. */
  preflight: string[];
  acceptMs: number;
  totalMs: number;
  /** When the bench first saw each state, from the POST. */
  states: { state: string; atMs: number }[];
  /** How each restarted replica resynced, from its `restart` state's detail. */
  resyncs: string[];
  longestWaitMs: number;
  longest?: WaitTrace;
  retried: WriteLoopResult['retried'];
  /** The bench process's own longest event-loop delay while the loop ran: a stall on the client's side. */
  benchLagMaxMs: number;
  writes: number;
  errors: number;
  lost: number;
}

async function ask(endpoint: Endpoint, ...args: string[]): Promise<unknown> {
  const client = directClient(endpoint);
  await client.connect();
  try {
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** A replicated, non-persistent mfver 1.0.0 database holding `sizeMib`, its replica in sync. */
async function filledDatabase(cluster: FleetCluster, name: string): Promise<{ uid: number; keys: number }> {
  const created = await cluster.api<BdbObject>(routes.bdbs, {
    method: 'POST',
    json: {
      name,
      memory_size: 0,
      replication: true,
      data_persistence: 'disabled',
      module_list: [{ module_name: 'mfver', semantic_version: '1.0.0', module_args: '' }],
    },
  });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const bdb = await waitForBdbStatus(cluster.coordinator.url, cluster.admin, created.body.uid, 'pending', 60_000);
  if (bdb.status !== 'active') throw new Error(`create ended ${bdb.status}: ${bdb.status_reason ?? ''}`);
  const endpoint = await bdbEndpoint(cluster, bdb.uid);
  const keys = await fillWithData(endpoint, sizeMib);
  // WAIT in short steps: the client's command timeout is 15 s.
  for (let tries = 0; Number(await ask(endpoint, 'WAIT', '1', '10000')) < 1; tries++)
    if (tries === 12) throw new Error('the replica did not acknowledge the data in 2 min');
  return { uid: bdb.uid, keys };
}

async function upgradeUnderWrites(cluster: FleetCluster, run: number): Promise<UpgradeRun> {
  const { uid, keys } = await filledDatabase(cluster, `bench-upgrade-${run}`);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  // The client finds the master as an application does, through the REST API, with its own
  // keep-alive client (the CLI's undici one) rather than the bench's fetch calls.
  const discovery = createApiClient({
    url: cluster.coordinator.url,
    user: cluster.admin.email,
    password: cluster.admin.password,
  });
  const loop = startWriteLoop(async () => {
    const endpoint = (await discovery.get<BdbObject>(pathTo(routes.bdb, { uid }))).endpoints[0]!;
    return { host: endpoint.addr[0]!, port: endpoint.port };
  });
  await sleep(1000);
  const started = performance.now();
  const postAt = performance.timeOrigin + started;
  const accepted = await upgradeBdb(cluster, uid, {});
  const acceptMs = performance.now() - started;
  if (accepted.status !== 200 || !accepted.body.action_uid)
    throw new Error(`upgrade refused: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const states: UpgradeRun['states'] = [];
  const machine = await waitForMachineEnd(
    readerOf(path => cluster.api(path)),
    accepted.body.action_uid,
    {
      intervalMs: 50,
      timeoutMs: 900_000,
      onChange(current) {
        const atMs = performance.now() - started;
        for (const { state } of (current.states ?? []).slice(states.length)) states.push({ state, atMs });
      },
    },
  );
  const totalMs = performance.now() - started;
  const resyncs = (machine.states ?? [])
    .filter(s => s.state === 'restart')
    .map(s => /resynced (partially|fully)/.exec(s.detail ?? '')?.[1] ?? 'not reported');
  if (machine.status !== 'completed') throw new Error(`the upgrade ended ${machine.status}: ${machine.error ?? ''}`);
  await sleep(1000);
  const writes = await loop.stop();
  lag.disable();
  await discovery.close();
  const endpoint = await bdbEndpoint(cluster, uid);
  const lost = await lostWritesAt(endpoint, writes.acknowledged);
  const semver = String(await ask(endpoint, 'MFVER.SEMVER'));
  const dbsize = Number(await ask(endpoint, 'DBSIZE'));
  if (semver !== '1.1.0' || dbsize < keys + writes.acknowledged.length)
    throw new Error(`after the upgrade: MFVER.SEMVER ${semver}, DBSIZE ${dbsize} (expected ≥ ${keys} + writes)`);
  await cluster.api(pathTo(routes.bdb, { uid }), { method: 'DELETE' });
  return {
    keys,
    preflight: preflightLines(cluster.agents, postAt),
    acceptMs,
    totalMs,
    states,
    resyncs,
    longestWaitMs: writes.longestWaitMs,
    ...(writes.longest && { longest: writes.longest }),
    retried: writes.retried,
    benchLagMaxMs: lag.max / 1e6,
    writes: writes.acknowledged.length,
    errors: writes.errors,
    lost: lost.length,
  };
}

async function main(): Promise<number> {
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const work = await cleanup.tmpDir('db-upgrade');
    const [current, target] = [await testModulePath('1.0.0'), await testModulePath('1.1.0')];
    const redisServer = await findRedisServer();
    if (!redisServer) throw new Error('no redis-server found');
    const prefix = benchPrefix('db-upgrade');
    // Steps run in reverse: these two also cover a Ctrl-C while the cluster is still starting.
    cleanup.add('redis keys', () => deletePrefix(prefix));
    cleanup.add('modfleet processes', () => killAllProcesses());
    const cluster = await startFleetCluster({
      prefix,
      nodes: 2,
      coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts(2 * runs + 4) },
    });
    cleanup.add('cluster', async () => {
      await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
      await killShardsOf(cluster.agents.map(agent => agent.dataDir));
      await cluster.stop();
    });
    await installMfver(cluster, '1.0.0');
    await installMfver(cluster, '1.1.0');

    const upgrades: UpgradeRun[] = [];
    const byHand: ByHandResult[] = [];
    for (let run = 0; run < runs; run++) {
      const up = await upgradeUnderWrites(cluster, run);
      upgrades.push(up);
      const hand = await measureByHand({ redisServer, current, target, workDir: `${work}/run-${run}`, sizeMib });
      byHand.push(hand);
      const steps = up.states.map(s => `${s.state} ${fixed(s.atMs / 1000, 1)}s`).join(' → ');
      console.log(
        `run ${run + 1}: upgrade ${fixed(up.totalMs, 0)} ms (POST answered ${fixed(up.acceptMs, 0)} ms: ${steps}); ` +
          `longest wait ${fixed(up.longestWaitMs, 0)} ms over ${up.writes} writes (${up.errors} retried, ${up.lost} lost); ` +
          `restarted replicas resynced: ${up.resyncs.join(', ')}`,
      );
      console.log(
        `       by hand: promotion wait ${fixed(hand.promotionWaitMs, 0)} ms (pause → writable ${fixed(hand.pauseToWritableMs, 0)} ms, ` +
          `${hand.promotionLost} lost); restarts ${hand.restartMs.map(ms => fixed(ms, 0)).join(' + ')} ms; full sync ${fixed(hand.fullSyncMs, 0)} ms`,
      );
      for (const line of up.preflight) console.log(line);
      if (flags.trace) {
        const clients = [
          ...(up.longest ? [{ label: 'longest wait', trace: up.longest, waitMs: up.longestWaitMs }] : []),
          ...up.retried.map(trace => ({ label: 'retried write', trace, waitMs: trace.waitMs })),
        ];
        for (const line of traceLines(cluster.coordinator.process, cluster.agents, clients)) console.log(line);
        console.log(`  by hand (ms from CLIENT PAUSE sent): ${handTraceLine(hand)}`);
        console.log(
          `  the bench process's own longest event-loop delay: ${fixed(up.benchLagMaxMs, 0)} ms during the upgrade, ${fixed(hand.benchLagMaxMs, 0)} ms by hand`,
        );
      }
    }
    const wait = median(upgrades.map(u => u.longestWaitMs));
    const promotion = median(byHand.map(h => h.promotionWaitMs));
    const total = median(upgrades.map(u => u.totalMs));
    const steps = median(byHand.map(h => h.restartMs[0]! + h.restartMs[1]! + h.fullSyncMs));
    const rolling = median(upgrades.map(u => u.totalMs - u.acceptMs));
    const rollingRatio = rolling / steps;
    const waitRatio = wait / promotion;
    const totalRatio = total / steps;
    const lost = upgrades.reduce((sum, u) => sum + u.lost, 0);
    const pass = { wait: waitRatio <= 2, total: totalRatio <= 2, noLoss: lost === 0 };
    console.log(machineLine());
    console.log(`database: ${upgrades[0]!.keys} keys (${sizeMib} MiB of 64 KiB values + 100 mfvertype), replicated`);
    console.log(
      `longest client wait p50 ${fixed(wait, 0)} ms vs promotion by hand ${fixed(promotion, 0)} ms: ratio ${fixed(waitRatio)} (target ≤ 2): ${verdict(pass.wait)}`,
    );
    console.log(
      `upgrade POST → completed p50 ${fixed(total, 0)} ms vs two restarts + one full sync ${fixed(steps, 0)} ms: ratio ${fixed(totalRatio)} (target ≤ 2): ${verdict(pass.total)}`,
    );
    console.log(
      `  of which the rolling restart (POST answered → completed) p50 ${fixed(rolling, 0)} ms vs the same ${fixed(steps, 0)} ms: ratio ${fixed(rollingRatio)} (no target of its own; the pre-flight before it: bench/preflight-bench.ts)`,
    );
    console.log(`acknowledged writes lost: ${lost}: ${verdict(pass.noLoss)}`);
    writeResult('db-upgrade-bench', {
      runs,
      sizeMib,
      upgrades,
      byHand,
      waitRatio,
      totalRatio,
      rollingRatio,
      lost,
      pass,
    });
    return pass.wait && pass.total && pass.noLoss ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
