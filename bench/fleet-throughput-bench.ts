/**
 * Fleet throughput bench: one push of a 64 MiB artifact to 3 agents (curl to the coordinator,
 * then GET /v2/actions/<uid> every 5 ms until `completed`) against the RS workflow on the same
 * machine: three sequential `curl -u … -F module=@file.zip` uploads, one per agent.
 * Median of N interleaved runs each; the artifact is deleted between runs (fleet DELETE, waited
 * for; local DELETE on each agent for the baseline), so every run really installs.
 *
 *   npx tsx bench/fleet-throughput-bench.ts [--runs 3] [--size-mib 64] [--poll-ms 5]
 *
 * Real processes: `modfleet coordinator` + 3 `modfleet agent` (the built CLI: run `npx tsc -b` first).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { writeArtifactZipFile, type ArtifactFile } from './lib/artifact.js';
import { startBenchFleet, type BenchFleet, holdRepeatedSignals } from './lib/fleet-cluster.js';
import { timedPush, uploadToEachAgent } from './lib/fleet-deliveries.js';
import { fleetDelete, localDelete, ms, detectActionEnd, requireCompleted } from './lib/fleet-http.js';
import { waitFinalized } from './lib/fleet-records.js';
import {
  checkBuild,
  Cleanup,
  fixed,
  machineLine,
  median,
  MIB,
  trackChild,
  verdict,
  writeResult,
  runBench,
} from './lib/util.js';

const RATIO_TARGET = 0.8;

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '64' },
    'poll-ms': { type: 'string', default: '5' },
  },
});
const runs = Number(flags.runs);
const soBytes = Number(flags['size-mib']) * MIB;
const pollMs = Number(flags['poll-ms']);

/** Flushes dirty pages left by the previous run so they do not slow the next one (untimed). */
function settle(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn('sync', [], { stdio: 'ignore' }));
    child.once('error', reject);
    child.once('close', code => (code === 0 ? resolve() : reject(new Error(`sync exited with ${code}`))));
  });
}

interface FleetRun {
  totalMs: number;
  /** curl's upload to the coordinator, up to its 202 */
  uploadMs: number;
  /** per node: job added → picked up, picked up → finished (download + hash + install) */
  nodes: { node_uid: number; pickupMs: number; runMs: number; finishedMs: number }[];
  /** last node job finished → the poll that saw `completed` */
  detectionMs: number;
  /** CPU ms each service used during the timed window (curl and this process not counted) */
  cpu: Cpu;
}

interface Cpu {
  coordinatorMs: number;
  agentsMs: number[];
}

async function fleetRun(fleet: BenchFleet, redis: Redis, artifact: ArtifactFile): Promise<FleetRun> {
  await settle();
  const { startedAt, uploadMs, detection, cpu, children } = await timedPush(fleet, redis, 'curl', artifact, pollMs);
  // Untimed from here: the fleet delete, waited for, so the next run installs again.
  const deleteUid = await fleetDelete(fleet.coordinatorUrl, artifact.moduleName, artifact.version);
  requireCompleted(await detectActionEnd(fleet.coordinatorUrl, deleteUid, { intervalMs: 20 }), 'fleet delete');
  await waitFinalized(redis, fleet.keys, [deleteUid]);
  return {
    totalMs: detection.detectedAt - startedAt,
    uploadMs,
    nodes: children.map(child => ({
      node_uid: child.node_uid,
      pickupMs: child.processedOn - child.timestamp,
      runMs: child.finishedOn - child.processedOn,
      finishedMs: child.finishedOn - startedAt,
    })),
    detectionMs: detection.detectedAt - Math.max(...children.map(child => child.finishedOn)),
    cpu,
  };
}

/** The RS workflow: curl to each agent in turn; each answer must carry the zip's sha256. Local deletes after (untimed). */
async function baselineRun(fleet: BenchFleet, artifact: ArtifactFile): Promise<BaselineRun> {
  await settle();
  const { totalMs, eachMs, cpu } = await uploadToEachAgent(fleet, 'curl', artifact);
  for (const agentUrl of fleet.agentUrls) await localDelete(agentUrl, artifact.moduleName, artifact.version);
  return { totalMs, eachMs, cpu };
}

interface BaselineRun {
  totalMs: number;
  eachMs: number[];
  cpu: Cpu;
}

const cpuText = (cpu: Cpu) =>
  `CPU coordinator ${fixed(cpu.coordinatorMs, 0)} + agents ${cpu.agentsMs.map(v => fixed(v, 0)).join('/')} ms`;

function describeFleet(run: FleetRun): string {
  const nodes = run.nodes
    .map(node => `n${node.node_uid} pickup ${fixed(node.pickupMs, 0)} + run ${fixed(node.runMs, 0)}`)
    .join(', ');
  return `upload ${fixed(run.uploadMs, 0)} ms; ${nodes}; poll lag ${fixed(run.detectionMs, 0)} ms; ${cpuText(run.cpu)}`;
}

async function main(): Promise<number> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!(soBytes > 0) || !(pollMs > 0)) throw new Error('--size-mib and --poll-ms must be positive');
  checkBuild();
  console.log(`fleet-throughput-bench: ${machineLine()}`);
  const cleanup = new Cleanup();
  holdRepeatedSignals();
  try {
    const dir = await cleanup.tmpDir('fleet-throughput');
    console.log(`writing the artifact to ${dir} …`);
    const artifact = await writeArtifactZipFile(join(dir, 'bench-throughput.zip'), soBytes, 'BenchThroughput', 1);

    console.log('starting coordinator + 3 agents (real processes) …');
    const fleet = await startBenchFleet('fleet-throughput', cleanup, { nodes: 3 });
    const redis = cleanup.redis();
    console.log(`coordinator ${fleet.coordinatorUrl}, agents ${fleet.agentUrls.join(' ')}, prefix ${fleet.prefix}`);

    console.log(
      `\n${artifact.size} byte artifact (${fixed(soBytes / MIB, 0)} MiB .so) to 3 agents: fleet push (curl + poll every ` +
        `${pollMs} ms) vs 3 sequential curl uploads; 1 warm-up pair, then ${runs} pairs interleaved`,
    );
    const warmBaseline = await baselineRun(fleet, artifact);
    const warmFleet = await fleetRun(fleet, redis, artifact);
    console.log(`  warm-up (not counted): baseline ${ms(warmBaseline.totalMs, 0)}, fleet ${ms(warmFleet.totalMs, 0)}`);

    const baseline: BaselineRun[] = [];
    const pushes: FleetRun[] = [];
    for (let i = 1; i <= runs; i += 1) {
      // Alternate which side goes first, so neither always runs right after the other's cleanup.
      if (i % 2 === 1) {
        baseline.push(await baselineRun(fleet, artifact));
        pushes.push(await fleetRun(fleet, redis, artifact));
      } else {
        pushes.push(await fleetRun(fleet, redis, artifact));
        baseline.push(await baselineRun(fleet, artifact));
      }
      const b = baseline.at(-1)!;
      const f = pushes.at(-1)!;
      console.log(
        `  run ${i}: baseline ${ms(b.totalMs, 0)} (${b.eachMs.map(v => fixed(v, 0)).join(' + ')}; ${cpuText(b.cpu)})\n` +
          `         fleet ${ms(f.totalMs, 0)} (${describeFleet(f)})`,
      );
    }

    const baselineMs = median(baseline.map(run => run.totalMs));
    const fleetMs = median(pushes.map(run => run.totalMs));
    const ratio = fleetMs / baselineMs;
    const pass = ratio <= RATIO_TARGET;
    const mibPerS = (value: number) => (3 * artifact.size) / MIB / (value / 1000);
    console.log(
      `\n  median baseline (3 curl uploads) ${ms(baselineMs, 0)} (${fixed(mibPerS(baselineMs), 0)} MiB/s delivered)`,
    );
    console.log(`  median fleet push → completed    ${ms(fleetMs, 0)} (${fixed(mibPerS(fleetMs), 0)} MiB/s delivered)`);
    console.log(
      `  fleet median parts: upload to coordinator ${ms(median(pushes.map(r => r.uploadMs)), 0)}, ` +
        `slowest node pickup+run ${ms(median(pushes.map(r => Math.max(...r.nodes.map(n => n.pickupMs + n.runMs)))), 0)}, ` +
        `poll lag ${ms(median(pushes.map(r => r.detectionMs)), 0)}`,
    );
    const cpuTotal = (cpu: Cpu) => cpu.coordinatorMs + cpu.agentsMs.reduce((a, b) => a + b, 0);
    const baselineCpuMs = median(baseline.map(run => cpuTotal(run.cpu)));
    const fleetCpuMs = median(pushes.map(run => cpuTotal(run.cpu)));
    console.log(
      `  median service CPU (curl not counted): baseline ${ms(baselineCpuMs, 0)}, fleet ${ms(fleetCpuMs, 0)} ` +
        `(fleet/baseline ${fixed(fleetCpuMs / baselineCpuMs)}; ${fixed((3 * artifact.size) / MIB, 0)} MiB delivered each)`,
    );
    console.log(`  RATIO fleet/baseline = ${fixed(ratio)} (target <= ${RATIO_TARGET}) ${verdict(pass)}`);

    writeResult('fleet-throughput-bench', {
      bench: 'fleet-throughput-bench',
      date: new Date().toISOString(),
      runs,
      artifactBytes: artifact.size,
      pollMs,
      baseline,
      fleet: pushes,
      medianBaselineMs: baselineMs,
      medianFleetMs: fleetMs,
      medianBaselineCpuMs: baselineCpuMs,
      medianFleetCpuMs: fleetCpuMs,
      ratio,
      target: RATIO_TARGET,
      pass,
    });
    console.log(`\nfleet-throughput-bench: fleet/baseline ${fixed(ratio)} ${verdict(pass)}`);
    return pass ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
