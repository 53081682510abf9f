/**
 * Database create bench: `POST /v1/bdbs` with RediSearch until `GET /v1/bdbs/<uid>` reads
 * `active`, against starting the same `redis-server --loadmodule redisearch.so` by hand until it
 * answers PING, on the same machine in the same run (p50 of each). Target (issue 17): create ≤
 * 1.5 × by hand + one fleet round trip (the p50 of a `GET /v1/bdbs/<uid>` in the same run).
 *
 *   npx tsx bench/db-create-bench.ts [--creates 10]
 *
 * Real processes: `modfleet coordinator` + 2 agents (the built CLI: run `npx tsc -b` first).
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { installRediSearch, killShardsOf, privateDbPorts, waitForBdbStatus } from '../test/helpers/databases.js';
import { FLEET_ADMIN, startFleetCluster } from '../test/helpers/fleet-cluster.js';
import { api } from '../test/helpers/http.js';
import { freePort } from '../test/helpers/processes.js';
import { REDIS_SERVER, REDISEARCH_SO } from '../test/helpers/real-module.js';
import { Redis } from 'ioredis';
import { checkBuild, fixed, machineLine, median, runBench, verdict, writeResult } from './lib/util.js';

const { values: flags } = parseArgs({ options: { creates: { type: 'string', default: '10' } } });
const creates = Number(flags.creates);

async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function byHand(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--loadmodule', REDISEARCH_SO],
    {
      stdio: 'ignore',
    },
  );
  try {
    while (!(await answersPing(port))) await sleep(5);
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<number> {
  checkBuild();
  const cluster = await startFleetCluster({
    nodes: 2,
    coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts(creates + 5) },
  });
  try {
    await installRediSearch(cluster);
    const base = cluster.coordinator.url;
    const createMs: number[] = [];
    const handMs: number[] = [];
    const roundTripMs: number[] = [];
    for (let i = 0; i < creates; i++) {
      handMs.push(await byHand());
      const started = performance.now();
      const created = await api<BdbObject>(`${base}${routes.bdbs}`, {
        method: 'POST',
        credentials: FLEET_ADMIN,
        json: { name: `bench-${i}`, memory_size: 0, module_list: [{ module_name: 'ft', module_args: '' }] },
      });
      const bdb = await waitForBdbStatus(base, FLEET_ADMIN, created.body.uid, 'pending', 30_000, 5);
      if (bdb.status !== 'active') throw new Error(`bench-${i}: ${bdb.status} ${bdb.status_reason ?? ''}`);
      createMs.push(performance.now() - started);
      const t = performance.now();
      await api(`${base}${pathTo(routes.bdb, { uid: bdb.uid })}`, { credentials: FLEET_ADMIN });
      roundTripMs.push(performance.now() - t);
    }
    const create = median(createMs);
    const hand = median(handMs);
    const roundTrip = median(roundTripMs);
    const limit = 1.5 * hand + roundTrip;
    const pass = create <= limit;
    console.log(machineLine());
    console.log(`create → active p50 ${fixed(create)} ms; redis-server --loadmodule by hand p50 ${fixed(hand)} ms`);
    console.log(
      `ratio ${fixed(create / hand)}; target ≤ 1.5 × ${fixed(hand)} + round trip ${fixed(roundTrip)} = ${fixed(limit)} ms: ${verdict(pass)}`,
    );
    writeResult('db-create-bench', {
      creates,
      createMs,
      handMs,
      roundTripMs,
      ratio: create / hand,
      limitMs: limit,
      pass,
    });
    return pass ? 0 : 1;
  } finally {
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  }
}

runBench(main);
