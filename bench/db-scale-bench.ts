/**
 * Database scale bench (issue 17): 50 databases across 3 nodes on one machine. Creates them all,
 * then measures `GET /v1/bdbs` p99 against the same route with no database (measured first, in the
 * same run), and each agent's RSS (its own process: the shards are separate redis-servers) against
 * its RSS before the first create. Targets: p99 ≤ 50 ms; every agent's RSS ≤ +16 MiB.
 *
 *   npx tsx bench/db-scale-bench.ts [--databases 50] [--gets 200] [--in-flight 50]
 *
 * Real processes: `modfleet coordinator` + 3 agents (the built CLI: run `npx tsc -b` first). The
 * databases load no module and have a small memory_size; every one is deleted at the end, and any
 * shard left is killed.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { killShardsOf, privateDbPorts, shardsOf, waitForBdbStatus } from '../test/helpers/databases.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../test/helpers/fleet-cluster.js';
import { api } from '../test/helpers/http.js';
import { pollFor } from '../test/helpers/poll.js';
import { procStatusBytes } from './lib/agent-process.js';
import { percentile } from './lib/fleet-http.js';
import { checkBuild, fixed, machineLine, MIB, runBench, verdict, writeResult } from './lib/util.js';

const { values: flags } = parseArgs({
  options: {
    databases: { type: 'string', default: '50' },
    gets: { type: 'string', default: '200' },
    'in-flight': { type: 'string' },
  },
});
const databases = Number(flags.databases);
const gets = Number(flags.gets);
const P99_LIMIT_MS = 50;
const RSS_GROWTH_LIMIT = 16 * MIB;
const DB_MEMORY_SIZE = 16 * MIB;
const IN_FLIGHT = Number(flags['in-flight'] ?? databases);

/** `gets` sequential `GET /v1/bdbs`, each timed from request to parsed body; returns the latencies. */
async function timeListing(cluster: FleetCluster, expected: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < gets; i++) {
    const started = performance.now();
    const res = await api<BdbObject[]>(`${cluster.coordinator.url}${routes.bdbs}`, { credentials: FLEET_ADMIN });
    latencies.push(performance.now() - started);
    if (res.status !== 200 || res.body.length !== expected) {
      throw new Error(`GET /v1/bdbs: ${res.status}, ${Array.isArray(res.body) ? res.body.length : '?'} bdbs`);
    }
  }
  return latencies;
}

const agentRss = (cluster: FleetCluster): number[] =>
  cluster.agents.map(agent => procStatusBytes(agent.process!.pid, 'VmRSS'));

/** POSTs one database; answers at once, while it is pending. */
async function post(cluster: FleetCluster, name: string): Promise<number> {
  const created = await api<BdbObject>(`${cluster.coordinator.url}${routes.bdbs}`, {
    method: 'POST',
    credentials: FLEET_ADMIN,
    json: { name, memory_size: DB_MEMORY_SIZE },
  });
  if (created.status !== 200) throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.uid;
}

async function activeBdb(cluster: FleetCluster, uid: number): Promise<BdbObject> {
  const bdb = await waitForBdbStatus(cluster.coordinator.url, FLEET_ADMIN, uid, 'pending', 120_000, 50);
  if (bdb.status !== 'active') throw new Error(`bdb ${uid}: ${bdb.status} ${bdb.status_reason ?? ''}`);
  return bdb;
}

/**
 * Creates every database: `IN_FLIGHT` POSTs sent together (all of them by default, as a deploy
 * script that fires every create at once), each batch waited on until active.
 */
async function createAll(cluster: FleetCluster): Promise<BdbObject[]> {
  const bdbs: BdbObject[] = [];
  for (let first = 0; first < databases; first += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, databases - first) }, (_, i) => `scale-${first + i}`);
    const uids = await Promise.all(batch.map(name => post(cluster, name)));
    bdbs.push(...(await Promise.all(uids.map(uid => activeBdb(cluster, uid)))));
  }
  return bdbs;
}

async function shardsPerNode(cluster: FleetCluster, bdbs: readonly BdbObject[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const bdb of bdbs) {
    for (const shard of await shardsOf(cluster.coordinator.url, FLEET_ADMIN, bdb.uid)) {
      counts[shard.node_uid] = (counts[shard.node_uid] ?? 0) + 1;
    }
  }
  return counts;
}

async function deleteAll(cluster: FleetCluster, bdbs: readonly BdbObject[]): Promise<void> {
  const base = cluster.coordinator.url;
  for (const bdb of bdbs) {
    await api(`${base}${pathTo(routes.bdb, { uid: bdb.uid })}`, { method: 'DELETE', credentials: FLEET_ADMIN });
  }
  await pollFor(
    () => api<BdbObject[]>(`${base}${routes.bdbs}`, { credentials: FLEET_ADMIN }),
    res => res.status === 200 && res.body.length === 0,
    'every database deleted',
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

async function main(): Promise<number> {
  checkBuild();
  const cluster = await startFleetCluster({
    nodes: 3,
    coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts(databases + 10) },
  });
  const load = [loadavg()[0]!];
  try {
    await timeListing(cluster, 0); // warm-up: JIT, connections, the first auth check
    const emptyMs = percentile(await timeListing(cluster, 0), 99);
    const rssBefore = agentRss(cluster);
    const started = performance.now();
    const bdbs = await createAll(cluster);
    const createAllMs = performance.now() - started;
    load.push(loadavg()[0]!);
    const fullMs = percentile(await timeListing(cluster, databases), 99);
    const rssAfter = agentRss(cluster);
    load.push(loadavg()[0]!);
    const growth = rssAfter.map((after, i) => after - rssBefore[i]!);
    const perNode = await shardsPerNode(cluster, bdbs);
    const p99Pass = fullMs <= P99_LIMIT_MS;
    const rssPass = growth.every(bytes => bytes <= RSS_GROWTH_LIMIT);
    console.log(machineLine());
    console.log(`load average (1 min) before / after create / after: ${load.map(l => fixed(l)).join(' / ')}`);
    console.log(
      `${databases} databases (${IN_FLIGHT} POSTed at once) active in ${fixed(createAllMs / 1000, 1)} s; shards per node uid: ${JSON.stringify(perNode)}`,
    );
    console.log(
      `GET /v1/bdbs p99: ${fixed(fullMs)} ms with ${databases}, ${fixed(emptyMs)} ms with 0; ratio ${fixed(fullMs / emptyMs)}; target ≤ ${P99_LIMIT_MS} ms: ${verdict(p99Pass)}`,
    );
    for (const [i, agent] of cluster.agents.entries()) {
      console.log(
        `${agent.name} RSS ${fixed(rssBefore[i]! / MIB, 1)} → ${fixed(rssAfter[i]! / MIB, 1)} MiB (${growth[i]! >= 0 ? '+' : ''}${fixed(growth[i]! / MIB, 1)} MiB, ratio ${fixed(rssAfter[i]! / rssBefore[i]!)})`,
      );
    }
    console.log(`agent RSS growth target ≤ +16 MiB each: ${verdict(rssPass)}`);
    writeResult('db-scale-bench', {
      databases,
      gets,
      inFlight: IN_FLIGHT,
      createAllMs,
      p99EmptyMs: emptyMs,
      p99FullMs: fullMs,
      rssBefore,
      rssAfter,
      perNode,
      load,
      pass: p99Pass && rssPass,
    });
    await deleteAll(cluster, bdbs);
    return p99Pass && rssPass ? 0 : 1;
  } finally {
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  }
}

runBench(main);
