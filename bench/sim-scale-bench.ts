/**
 * Scale bench: a 1 MiB push to 5 … 500 simulated nodes (`modfleet simulate`, one process), with
 * the coordinator's CPU per node per push, its RSS, and Redis memory and clients at each size.
 * Targets: push to 500 nodes <= 15 s; coordinator CPU per node <= 3 ms at every size and flat
 * (printed as the ratio of the largest fleet's per-node CPU to the smallest's).
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { redisKeys, routes, type NodeView } from '@modfleet/common';
import { artifactForm } from '../test/helpers/http.js';
import { fleetCall } from '../test/helpers/fleet-client.js';
import { artifactBytesServed } from '../test/helpers/metrics.js';
import { withRedis } from '../test/helpers/redis.js';
import { procStatusBytes } from './lib/agent-process.js';
import { writeArtifactZipFile, type ArtifactFile } from './lib/artifact.js';
import { pushFile, requestJson } from './lib/fleet-http.js';
import { waitFinalized } from './lib/fleet-records.js';
import { processCpuMs } from './lib/process-cpu.js';
import { startSimCluster, type SimCluster } from './lib/sim-cluster.js';
import { redisConnections, redisMemory, statusPollCpuMs } from './lib/sim-scale-probes.js';
import { judge, loadLine, printHeader, printRow, type Row } from './lib/sim-scale-report.js';
import { checkBuild, Cleanup, OUT_DIR, machineLine, median, MIB, runBench, writeResult } from './lib/util.js';

const IDLE_SAMPLE_MS = 3_000;

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
    const servedBefore = await artifactBytesServed(cluster.coordinatorUrl);
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
      ((await artifactBytesServed(cluster.coordinatorUrl)) - servedBefore) /
      (artifacts[1]!.size * (measured.length + oneNode.length));
    const memory = await redisMemory(cluster.prefix);
    const redisClients = redisConnections([pid, cluster.simulation.pid]);
    return {
      nodes,
      pushMs,
      cpuMs,
      cpuPerNodeMs: cpuMs / nodes,
      fixedCpuMs,
      marginalCpuPerNodeMs: nodes > 1 ? (cpuMs - fixedCpuMs) / (nodes - 1) : 0,
      rssMiB: procStatusBytes(pid, 'VmRSS') / MIB,
      redisKeysMiB: memory.prefixBytes / MIB,
      redisUsedMiB: memory.usedMemory / MIB,
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
    const dir = await cleanup.tmpDir('sim-scale');
    // The first is the warm-up push; then per round a push to one node and one to all, each new bytes (a new version).
    const artifacts: ArtifactFile[] = [];
    for (let version = 1; version <= 2 * pushes + 1; version += 1)
      artifacts.push(await writeArtifactZipFile(join(dir, `push-${version}.zip`), MIB, 'SimScale', version));
    console.log(`sim-scale-bench: ${machineLine()}, load average ${loadLine()}`);
    printHeader();
    const rows: Row[] = [];
    for (const nodes of sizes) {
      const row = await measure(nodes, artifacts, cleanup, coordinatorArgs, Math.max(1, Number(values.threads) || 1));
      rows.push(row);
      printRow(row);
    }
    const verdicts = judge(rows);
    console.log(`load average after: ${loadLine()}`);
    writeResult('sim-scale-bench', { rows, ...verdicts, loadavg: loadavg() });
    const { cpuOk, amortisedOk, pushOk, flatOk } = verdicts;
    return cpuOk && amortisedOk && pushOk && flatOk ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
