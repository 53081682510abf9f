/**
 * Scale bench: a 1 MiB push to 5 … 500 simulated nodes (`modfleet simulate`, one process), with
 * the coordinator's CPU per node per push, its RSS, and Redis memory and clients at each size.
 * Targets: push to 500 nodes <= 15 s; coordinator CPU per node <= 3 ms at every size and flat
 * (printed as the ratio of the largest fleet's per-node CPU to the smallest's).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathTo, redisKeys, routes, type NodeView } from '@modfleet/common';
import { artifactForm } from '../test/helpers/http.js';
import { fleetCall } from '../test/helpers/fleet-client.js';
import { sleep } from '../test/helpers/poll.js';
import { REDIS_URL, withRedis } from '../test/helpers/redis.js';
import { writeArtifactZipFile, type ArtifactFile } from './lib/artifact.js';
import { pushFile, requestJson } from './lib/fleet-http.js';
import { waitFinalized } from './lib/fleet-records.js';
import { processCpuMs } from './lib/process-cpu.js';
import { startSimCluster, type SimCluster } from './lib/sim-cluster.js';
import {
  benchTmpDir,
  checkBuild,
  Cleanup,
  OUT_DIR,
  fixed,
  machineLine,
  median,
  MIB,
  runBench,
  verdict,
  writeResult,
} from './lib/util.js';

const REDIS_ADDR = new URL(REDIS_URL).host;
const IDLE_SAMPLE_MS = 3_000;
const TARGET_PUSH_MS = 15_000;
const TARGET_CPU_PER_NODE_MS = 3;
/** "Flat": the largest fleet may cost at most this many times the smallest's per node. */
const FLAT_RATIO = 1.5;

interface Row {
  nodes: number;
  pushMs: number;
  cpuMs: number;
  cpuPerNodeMs: number;
  /** Coordinator CPU of the same push to one node of this fleet: what a push costs whatever its size. */
  fixedCpuMs: number;
  /** (CPU of the push to all − CPU of the push to one) / (nodes − 1): what each further node costs. */
  marginalCpuPerNodeMs: number;
  rssMiB: number;
  /** MEMORY USAGE of every key under the prefix. */
  redisKeysMiB: number;
  /** used_memory of the whole (shared) Redis. */
  redisUsedMiB: number;
  redisClients: number;
  /** Artifact copies the coordinator served (the rest came from peers). */
  originCopies: number;
  /** Coordinator CPU of one status GET of the finished action. */
  pollMs: number;
  /** Coordinator CPU per second with no push running. */
  idleCpuMsPerS: number;
  /** CPU of the simulation process (all the agents) during the push, per node. */
  simCpuPerNodeMs: number;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find(l => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function usedMemory(): Promise<number> {
  return withRedis(async redis => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]));
}

/** Bytes held by the keys under the cluster's prefix (the Redis is shared: used_memory is everyone's). */
async function prefixMemory(prefix: string): Promise<number> {
  return withRedis(async redis => {
    let total = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.memory('USAGE', key);
      for (const [, bytes] of (await pipeline.exec()) ?? []) total += Number(bytes ?? 0);
    } while (cursor !== '0');
    return total;
  });
}

/** TCP connections to Redis held by these processes (the Redis is shared: connected_clients is everyone's). */
function redisConnections(pids: number[]): number {
  const out = execFileSync('ss', ['-tnpH', 'dst', REDIS_ADDR], { encoding: 'utf8' });
  return out.split('\n').filter(line => pids.some(pid => line.includes(`pid=${pid},`))).length;
}

/**
 * Pushes and waits for the finalizer's close by reading the action record from Redis, so the
 * coordinator's CPU is the push's alone: status polls through the API are measured apart.
 */
async function pushAndWait(
  cluster: SimCluster,
  artifact: ArtifactFile,
  onlyNode?: number,
): Promise<{ ms: number; actionUid: string }> {
  const started = performance.now();
  const actionUid =
    onlyNode === undefined ? await pushToAll(cluster, artifact) : await pushToOne(cluster, artifact, onlyNode);
  const finished = await withRedis(redis =>
    waitFinalized(redis, redisKeys(cluster.prefix), [actionUid], { intervalMs: 50, timeoutMs: 300_000 }),
  );
  const ms = performance.now() - started;
  const failed = finished.get(actionUid)!.ops.filter(op => op.status !== 'completed');
  if (failed.length > 0)
    throw new Error(`push: ${failed.length} node op(s) not completed: ${JSON.stringify(failed[0])}`);
  return { ms, actionUid };
}

async function pushToAll(cluster: SimCluster, artifact: ArtifactFile): Promise<string> {
  return (await pushFile('node', cluster.coordinatorUrl, artifact.path, artifact.size)).actionUid;
}

/** The same push with `nodes` naming one node: the push's fixed cost, whatever the fleet size. */
async function pushToOne(cluster: SimCluster, artifact: ArtifactFile, nodeUid: number): Promise<string> {
  const form = new FormData();
  form.append('nodes', String(nodeUid));
  for (const [name, value] of artifactForm(await readFile(artifact.path))) form.append(name, value);
  const res = await fleetCall<{ action_uid?: string }>(cluster.coordinatorUrl, routes.fleetArtifacts, {
    method: 'POST',
    form,
  });
  if (res.status !== 202 || !res.body.action_uid) throw new Error(`push to node ${nodeUid} answered ${res.status}`);
  return res.body.action_uid;
}

/** Coordinator CPU of one GET /v2/actions/<uid> (what `modfleet push` polls for its bars), the mean of `count`. */
async function statusPollCpuMs(cluster: SimCluster, actionUid: string, count = 20): Promise<number> {
  const before = processCpuMs(cluster.coordinator.pid);
  for (let i = 0; i < count; i += 1) {
    const res = await requestJson('GET', `${cluster.coordinatorUrl}${pathTo(routes.action, { uid: actionUid })}`);
    if (res.status !== 200) throw new Error(`GET action answered ${res.status}`);
  }
  return (processCpuMs(cluster.coordinator.pid) - before) / count;
}

/** Bytes the coordinator has streamed to nodes so far (its own /metrics counter). */
async function bytesServed(coordinatorUrl: string): Promise<number> {
  const text = await (await fetch(`${coordinatorUrl}${routes.metrics}`)).text();
  return Number(/^modfleet_artifact_bytes_served_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

async function measure(
  nodes: number,
  artifacts: ArtifactFile[],
  cleanup: Cleanup,
  coordinatorArgs: string[] | undefined,
  threads: number,
): Promise<Row> {
  const cluster = await startSimCluster(nodes, cleanup, { threads, ...(coordinatorArgs && { coordinatorArgs }) });
  try {
    // A warm-up push (another artifact) so first-call costs (JIT, handles, piece index) are not counted.
    await pushAndWait(cluster, artifacts[0]!);
    const pid = cluster.coordinator.pid;
    // The coordinator's background work (presence, finalizer and queue timers) while nothing is pushed.
    const idleBefore = processCpuMs(pid);
    await sleep(IDLE_SAMPLE_MS);
    const idleCpuMsPerS = ((processCpuMs(pid) - idleBefore) * 1000) / IDLE_SAMPLE_MS;
    const servedBefore = await bytesServed(cluster.coordinatorUrl);
    const measured: { ms: number; cpuMs: number; simCpuMs: number; actionUid: string }[] = [];
    const windowStartUs = process.hrtime.bigint() / 1000n;
    const firstUid = Math.min(
      ...(await requestJson<NodeView[]>('GET', `${cluster.coordinatorUrl}${routes.nodes}`)).body.map(n => n.uid),
    );
    const oneNode: number[] = [];
    for (let round = 0; round < (artifacts.length - 1) / 2; round += 1) {
      const one = processCpuMs(pid);
      await pushAndWait(cluster, artifacts[1 + 2 * round]!, firstUid);
      oneNode.push(processCpuMs(pid) - one);
      const before = processCpuMs(pid);
      const simBefore = processCpuMs(cluster.simulation.pid);
      const push = await pushAndWait(cluster, artifacts[2 + 2 * round]!);
      measured.push({
        ...push,
        cpuMs: processCpuMs(pid) - before,
        simCpuMs: processCpuMs(cluster.simulation.pid) - simBefore,
      });
    }
    // CLOCK_MONOTONIC, the clock of V8's profile timestamps: the pushes' samples can be picked out of the profile.
    if (coordinatorArgs)
      writeResult(`profiles/push-window-${nodes}`, {
        pid,
        startUs: String(windowStartUs),
        endUs: String(process.hrtime.bigint() / 1000n),
      });
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const pushMs = median(measured.map(push => push.ms));
    const cpuMs = mean(measured.map(push => push.cpuMs));
    const simCpuMs = mean(measured.map(push => push.simCpuMs));
    const fixedCpuMs = mean(oneNode);
    const pollMs = await statusPollCpuMs(cluster, measured.at(-1)!.actionUid);
    const originCopies =
      ((await bytesServed(cluster.coordinatorUrl)) - servedBefore) /
      (artifacts[1]!.size * (measured.length + oneNode.length));
    const redisKeysMiB = (await prefixMemory(cluster.prefix)) / MIB;
    const redisUsedMiB = (await usedMemory()) / MIB;
    const redisClients = redisConnections([pid, cluster.simulation.pid]);
    return {
      nodes,
      pushMs,
      cpuMs,
      cpuPerNodeMs: cpuMs / nodes,
      fixedCpuMs,
      marginalCpuPerNodeMs: nodes > 1 ? (cpuMs - fixedCpuMs) / (nodes - 1) : 0,
      rssMiB: rssMiB(pid),
      redisKeysMiB,
      redisUsedMiB,
      redisClients,
      originCopies,
      pollMs,
      idleCpuMsPerS,
      simCpuPerNodeMs: simCpuMs / nodes,
    };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '5,50,200,500' },
      'cpu-prof': { type: 'boolean', default: false },
      pushes: { type: 'string', default: '3' },
      threads: { type: 'string', default: '2' },
    },
  });
  // --cpu-prof: the coordinator writes a V8 CPU profile per fleet size into bench/.out/profiles on exit.
  if (values['cpu-prof']) mkdirSync(join(OUT_DIR, 'profiles'), { recursive: true });
  const coordinatorArgs = values['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${join(OUT_DIR, 'profiles')}`]
    : undefined;
  const sizes = values.nodes
    .split(',')
    .map(Number)
    .filter(n => Number.isInteger(n) && n > 0);
  const pushes = Math.max(1, Number(values.pushes) || 1);
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const dir = await benchTmpDir('sim-scale');
    cleanup.add('artifacts', () => import('../test/helpers/tmp-dir.js').then(m => m.removeDir(dir)));
    // The first is the warm-up push; then per round a push to one node and one to all, each new bytes (a new version).
    const artifacts: ArtifactFile[] = [];
    for (let version = 1; version <= 2 * pushes + 1; version += 1)
      artifacts.push(await writeArtifactZipFile(join(dir, `push-${version}.zip`), MIB, 'SimScale', version));
    console.log(
      `sim-scale-bench: ${machineLine()}, load average ${loadavg()
        .map(l => fixed(l))
        .join(' ')}`,
    );
    console.log(
      '| nodes | push (median) | coordinator CPU per push | per node (CPU / nodes) | push to 1 node | per further node | ' +
        'coordinator RSS | Redis keys (prefix) | Redis used_memory (shared) | Redis connections | copies from the coordinator | ' +
        'one status GET | coordinator idle | simulation CPU per node |',
    );
    console.log(`|${'---|'.repeat(14)}`);
    const rows: Row[] = [];
    for (const nodes of sizes) {
      const row = await measure(nodes, artifacts, cleanup, coordinatorArgs, Math.max(1, Number(values.threads) || 1));
      rows.push(row);
      const cells = [
        String(nodes),
        `${fixed(row.pushMs / 1000)} s`,
        `${fixed(row.cpuMs, 0)} ms`,
        `${fixed(row.cpuPerNodeMs)} ms`,
        `${fixed(row.fixedCpuMs, 0)} ms`,
        `${fixed(row.marginalCpuPerNodeMs)} ms`,
        `${fixed(row.rssMiB, 1)} MiB`,
        `${fixed(row.redisKeysMiB, 2)} MiB`,
        `${fixed(row.redisUsedMiB, 1)} MiB`,
        String(row.redisClients),
        fixed(row.originCopies, 1),
        `${fixed(row.pollMs, 1)} ms`,
        `${fixed(row.idleCpuMsPerS, 1)} ms/s`,
        `${fixed(row.simCpuPerNodeMs, 1)} ms`,
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
    const smallest = rows[0]!;
    const largest = rows.at(-1)!;
    const ratio = largest.cpuPerNodeMs / smallest.cpuPerNodeMs;
    const marginalRatio = largest.marginalCpuPerNodeMs / Math.max(smallest.marginalCpuPerNodeMs, 0.1);
    const cpuOk = rows.every(row => row.nodes === 1 || row.marginalCpuPerNodeMs <= TARGET_CPU_PER_NODE_MS);
    const amortisedOk = largest.cpuPerNodeMs <= TARGET_CPU_PER_NODE_MS;
    const pushOk = rows.every(row => row.nodes < 500 || row.pushMs <= TARGET_PUSH_MS);
    const flatOk = marginalRatio <= FLAT_RATIO;
    const list = (pick: (row: Row) => number) => rows.map(r => `${r.nodes}: ${fixed(pick(r))} ms`).join(', ');
    console.log(`coordinator CPU per further node: ${list(r => r.marginalCpuPerNodeMs)}`);
    console.log(`  <= ${TARGET_CPU_PER_NODE_MS} ms at every size: ${verdict(cpuOk)}`);
    console.log(
      `  ratio ${largest.nodes} vs ${smallest.nodes} nodes: ${fixed(marginalRatio)} (<= ${FLAT_RATIO}): ${verdict(flatOk)}`,
    );
    console.log(`coordinator CPU per push / nodes: ${list(r => r.cpuPerNodeMs)} (ratio ${fixed(ratio)})`);
    console.log(`  <= ${TARGET_CPU_PER_NODE_MS} ms at ${largest.nodes} nodes: ${verdict(amortisedOk)}`);
    console.log(`push to 500 nodes <= ${TARGET_PUSH_MS / 1000} s: ${verdict(pushOk)}`);
    console.log(
      `load average after: ${loadavg()
        .map(l => fixed(l))
        .join(' ')}`,
    );
    writeResult('sim-scale-bench', {
      rows,
      ratio,
      marginalRatio,
      cpuOk,
      amortisedOk,
      pushOk,
      flatOk,
      loadavg: loadavg(),
    });
    return cpuOk && amortisedOk && pushOk && flatOk ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
