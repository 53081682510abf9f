/**
 * Scale bench: a 1 MiB push to 5 … 500 simulated nodes (`modfleet simulate`, one process), with
 * the coordinator's CPU per node per push, its RSS, and Redis memory and clients at each size.
 * Targets: push to 500 nodes <= 15 s; coordinator CPU per node <= 3 ms at every size and flat
 * (printed as the ratio of the largest fleet's per-node CPU to the smallest's).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { REDIS_URL, withRedis } from '../test/helpers/redis.js';
import { writeArtifactZipFile, type ArtifactFile } from './lib/artifact.js';
import { pollAction, pushFile, requireCompleted } from './lib/fleet-http.js';
import { processCpuMs } from './lib/process-cpu.js';
import { startSimCluster } from './lib/sim-cluster.js';
import {
  benchTmpDir,
  checkBuild,
  Cleanup,
  fixed,
  machineLine,
  MIB,
  runBench,
  verdict,
  writeResult,
} from './lib/util.js';

const REDIS_ADDR = new URL(REDIS_URL).host;
const TARGET_PUSH_MS = 15_000;
const TARGET_CPU_PER_NODE_MS = 3;
/** "Flat": the largest fleet may cost at most this many times the smallest's per node. */
const FLAT_RATIO = 1.5;

interface Row {
  nodes: number;
  pushMs: number;
  cpuMs: number;
  cpuPerNodeMs: number;
  rssMiB: number;
  /** MEMORY USAGE of every key under the prefix. */
  redisKeysMiB: number;
  /** used_memory of the whole (shared) Redis. */
  redisUsedMiB: number;
  redisClients: number;
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

async function pushAndWait(url: string, artifact: ArtifactFile): Promise<number> {
  const started = performance.now();
  const { actionUid } = await pushFile('node', url, artifact.path, artifact.size);
  requireCompleted(await pollAction(url, actionUid, { intervalMs: 50, timeoutMs: 300_000 }), 'push');
  return performance.now() - started;
}

async function measure(nodes: number, artifacts: [ArtifactFile, ArtifactFile], cleanup: Cleanup): Promise<Row> {
  const cluster = await startSimCluster(nodes, cleanup);
  try {
    // A warm-up push (another artifact) so first-call costs (JIT, handles, piece index) are not counted.
    await pushAndWait(cluster.coordinatorUrl, artifacts[0]);
    const pid = cluster.coordinator.pid;
    const before = processCpuMs(pid);
    const pushMs = await pushAndWait(cluster.coordinatorUrl, artifacts[1]);
    const cpuMs = processCpuMs(pid) - before;
    const redisKeysMiB = (await prefixMemory(cluster.prefix)) / MIB;
    const redisUsedMiB = (await usedMemory()) / MIB;
    const redisClients = redisConnections([pid, cluster.simulation.pid]);
    return {
      nodes,
      pushMs,
      cpuMs,
      cpuPerNodeMs: cpuMs / nodes,
      rssMiB: rssMiB(pid),
      redisKeysMiB,
      redisUsedMiB,
      redisClients,
    };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '5,50,200,500' } } });
  const sizes = values.nodes
    .split(',')
    .map(Number)
    .filter(n => Number.isInteger(n) && n > 0);
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const dir = await benchTmpDir('sim-scale');
    cleanup.add('artifacts', () => import('../test/helpers/tmp-dir.js').then(m => m.removeDir(dir)));
    const artifacts: [ArtifactFile, ArtifactFile] = [
      await writeArtifactZipFile(join(dir, 'warm.zip'), MIB, 'SimScale', 1),
      await writeArtifactZipFile(join(dir, 'push.zip'), MIB, 'SimScale', 2),
    ];
    console.log(
      `sim-scale-bench: ${machineLine()}, load average ${loadavg()
        .map(l => fixed(l))
        .join(' ')}`,
    );
    console.log(
      '| nodes | push | coordinator CPU | CPU per node | coordinator RSS | Redis keys (prefix) | Redis used_memory (shared) | Redis connections (coordinator + simulation) |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    const rows: Row[] = [];
    for (const nodes of sizes) {
      const row = await measure(nodes, artifacts, cleanup);
      rows.push(row);
      console.log(
        `| ${nodes} | ${fixed(row.pushMs / 1000)} s | ${fixed(row.cpuMs, 0)} ms | ${fixed(row.cpuPerNodeMs)} ms | ` +
          `${fixed(row.rssMiB, 1)} MiB | ${fixed(row.redisKeysMiB, 2)} MiB | ${fixed(row.redisUsedMiB, 1)} MiB | ${row.redisClients} |`,
      );
    }
    const smallest = rows[0]!;
    const largest = rows.at(-1)!;
    const ratio = largest.cpuPerNodeMs / smallest.cpuPerNodeMs;
    const cpuOk = rows.every(row => row.cpuPerNodeMs <= TARGET_CPU_PER_NODE_MS);
    const pushOk = rows.every(row => row.nodes < 500 || row.pushMs <= TARGET_PUSH_MS);
    const flatOk = ratio <= FLAT_RATIO;
    console.log(`coordinator CPU per node: ${rows.map(r => `${r.nodes}: ${fixed(r.cpuPerNodeMs)} ms`).join(', ')}`);
    console.log(`  <= ${TARGET_CPU_PER_NODE_MS} ms at every size: ${verdict(cpuOk)}`);
    console.log(
      `  ratio ${largest.nodes} vs ${smallest.nodes} nodes: ${fixed(ratio)} (<= ${FLAT_RATIO}): ${verdict(flatOk)}`,
    );
    console.log(`push to 500 nodes <= ${TARGET_PUSH_MS / 1000} s: ${verdict(pushOk)}`);
    console.log(
      `load average after: ${loadavg()
        .map(l => fixed(l))
        .join(' ')}`,
    );
    writeResult('sim-scale-bench', { rows, ratio, cpuOk, pushOk, flatOk, loadavg: loadavg() });
    return cpuOk && pushOk && flatOk ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
