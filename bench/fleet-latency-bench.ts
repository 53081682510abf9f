/**
 * Fleet latency bench: one push of a small artifact (4 KiB .so, a distinct name/version each
 * time) to 3 agents through the coordinator, from the request's start until GET
 * /v2/actions/<uid> answers `completed`, against the RS way for the same kind of artifact:
 * three sequential direct uploads, one to each agent's local API. Both with node:http.
 *
 *   npx tsx bench/fleet-latency-bench.ts [--pushes 200] [--warmup 10] [--poll-ms 5]
 *
 * Real processes: `modfleet coordinator` + 3 `modfleet agent` (the built CLI: run `npx tsc -b` first).
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { writeSmallArtifact, type SmallArtifact } from './lib/artifact.js';
import { startBenchFleet, type BenchFleet, holdRepeatedSignals } from './lib/fleet-cluster.js';
import { timedPush, uploadToEachAgent } from './lib/fleet-deliveries.js';
import { ms, percentile } from './lib/fleet-http.js';
import { checkBuild, Cleanup, fixed, machineLine, median, verdict, writeResult, runBench } from './lib/util.js';

const P50_TARGET_MS = 150;
const P99_TARGET_MS = 500;

const { values: flags } = parseArgs({
  options: {
    pushes: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    'poll-ms': { type: 'string', default: '5' },
  },
});
const pushes = Number(flags.pushes);
const warmup = Number(flags.warmup);
const pollMs = Number(flags['poll-ms']);

interface FleetSample {
  totalMs: number;
  acceptMs: number;
  /** request start → first node job added (flow add) */
  flowAddedMs: number;
  /** slowest node: job added → picked up by its agent's worker */
  pickupMs: number;
  /** slowest node: picked up → finished (download, install, status writes) */
  runMs: number;
  /** request start → last node job finished */
  lastFinishedMs: number;
  /** last node job finished → the poll that saw `completed` */
  detectionMs: number;
  polls: number;
  /** CPU ms used by the coordinator and by the 3 agents together, request start → detection */
  coordinatorCpuMs: number;
  agentsCpuMs: number;
}

/** One push through the fleet, timed from the request's start to the poll answer saying `completed`. */
async function fleetPush(fleet: BenchFleet, redis: Redis, artifact: SmallArtifact): Promise<FleetSample> {
  const { startedAt, acceptedAt, detection, cpu, children } = await timedPush(fleet, redis, 'node', artifact, pollMs);
  const last = children.reduce((a, b) => (b.finishedOn > a.finishedOn ? b : a));
  return {
    totalMs: detection.detectedAt - startedAt,
    acceptMs: acceptedAt - startedAt,
    flowAddedMs: Math.min(...children.map(child => child.timestamp)) - startedAt,
    pickupMs: Math.max(...children.map(child => child.processedOn - child.timestamp)),
    runMs: Math.max(...children.map(child => child.finishedOn - child.processedOn)),
    lastFinishedMs: last.finishedOn - startedAt,
    detectionMs: detection.detectedAt - last.finishedOn,
    polls: detection.polls,
    coordinatorCpuMs: cpu.coordinatorMs,
    agentsCpuMs: cpu.agentsMs.reduce((a, b) => a + b, 0),
  };
}

/** The RS way: the same kind of artifact uploaded to each agent in turn (node:http), each answer checked. */
async function rsUploads(
  fleet: BenchFleet,
  artifact: SmallArtifact,
): Promise<{ totalMs: number; eachMs: number[]; agentsCpuMs: number }> {
  const { totalMs, eachMs, cpu } = await uploadToEachAgent(fleet, 'node', artifact);
  return { totalMs, eachMs, agentsCpuMs: cpu.agentsMs.reduce((a, b) => a + b, 0) + cpu.coordinatorMs };
}

function summary(values: number[]) {
  return {
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

async function main(): Promise<number> {
  if (!Number.isInteger(pushes) || pushes < 1) throw new Error('--pushes must be a positive integer');
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error('--warmup must be a non-negative integer');
  if (!(pollMs > 0)) throw new Error('--poll-ms must be positive');
  checkBuild();
  console.log(`fleet-latency-bench: ${machineLine()}`);
  const cleanup = new Cleanup();
  holdRepeatedSignals();
  try {
    const dir = await cleanup.tmpDir('fleet-latency');
    const total = warmup + pushes;
    console.log(`writing ${2 * total} artifacts (4 KiB .so each) to ${dir} …`);
    const fleetArtifacts: SmallArtifact[] = [];
    const rsArtifacts: SmallArtifact[] = [];
    for (let version = 1; version <= total; version += 1) {
      fleetArtifacts.push(await writeSmallArtifact(dir, 'BenchFleetLatency', version));
      rsArtifacts.push(await writeSmallArtifact(dir, 'BenchRsLatency', version));
    }

    console.log('starting coordinator + 3 agents (real processes) …');
    const fleet = await startBenchFleet('fleet-latency', cleanup, { nodes: 3 });
    const redis = cleanup.redis();
    console.log(`coordinator ${fleet.coordinatorUrl}, agents ${fleet.agentUrls.join(' ')}, prefix ${fleet.prefix}`);
    console.log(
      `\n${fleetArtifacts[0]!.size} byte zip; ${warmup} warm-up pairs, then ${pushes} pairs interleaved ` +
        `(order alternating): fleet push polled every ${pollMs} ms vs 3 sequential direct uploads`,
    );

    const fleetSamples: FleetSample[] = [];
    const rsSamples: number[] = [];
    const rsEach: number[] = [];
    const rsCpu: number[] = [];
    for (let i = 0; i < total; i += 1) {
      const counted = i >= warmup;
      const runFleet = async () => {
        const sample = await fleetPush(fleet, redis, fleetArtifacts[i]!);
        if (counted) fleetSamples.push(sample);
      };
      const runRs = async () => {
        const sample = await rsUploads(fleet, rsArtifacts[i]!);
        if (counted) {
          rsSamples.push(sample.totalMs);
          rsEach.push(...sample.eachMs);
          rsCpu.push(sample.agentsCpuMs);
        }
      };
      if (i % 2 === 0) {
        await runFleet();
        await runRs();
      } else {
        await runRs();
        await runFleet();
      }
      if (i === warmup - 1) console.log('  warm-up done');
      if (counted && (i - warmup + 1) % 20 === 0) {
        const latest = fleetSamples.slice(-20);
        console.log(
          `  ${i - warmup + 1}/${pushes}: last 20 fleet p50 ${ms(
            percentile(
              latest.map(s => s.totalMs),
              50,
            ),
          )}, ` + `RS p50 ${ms(percentile(rsSamples.slice(-20), 50))}`,
        );
      }
    }

    const fleetTotals = summary(fleetSamples.map(s => s.totalMs));
    const rs = summary(rsSamples);
    const ratioP50 = fleetTotals.p50 / rs.p50;
    const ratioP99 = fleetTotals.p99 / rs.p99;
    const p50Pass = fleetTotals.p50 <= P50_TARGET_MS;
    const p99Pass = fleetTotals.p99 <= P99_TARGET_MS;
    const part = (pick: (s: FleetSample) => number) => summary(fleetSamples.map(pick));
    const breakdown = {
      acceptMs: part(s => s.acceptMs),
      flowAddedMs: part(s => s.flowAddedMs),
      pickupMs: part(s => s.pickupMs),
      runMs: part(s => s.runMs),
      lastFinishedMs: part(s => s.lastFinishedMs),
      detectionMs: part(s => s.detectionMs),
      polls: part(s => s.polls),
    };

    console.log(
      `\n  ${'side'.padEnd(36)} ${'p50'.padStart(10)} ${'p90'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}`,
    );
    const row = (label: string, s: ReturnType<typeof summary>, unit = ' ms') =>
      console.log(
        `  ${label.padEnd(36)} ${[s.p50, s.p90, s.p99, s.max].map(v => `${fixed(v, 1)}${unit}`.padStart(10)).join(' ')}`,
      );
    row('fleet push → completed', fleetTotals);
    row('RS: 3 sequential direct uploads', rs);
    row('  RS: one direct upload', summary(rsEach));
    console.log('  fleet, where the time goes (slowest node):');
    row('  request start → 202 accepted', breakdown.acceptMs);
    row('  request start → node jobs added', breakdown.flowAddedMs);
    row('  job added → agent worker picks it', breakdown.pickupMs);
    row('  picked → job finished (dl+install)', breakdown.runMs);
    row('  request start → last job finished', breakdown.lastFinishedMs);
    row('  last job finished → poll saw it', breakdown.detectionMs);
    row('  polls per push', breakdown.polls, '  ');
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const cpu = {
      fleetCoordinatorMs: mean(fleetSamples.map(s => s.coordinatorCpuMs)),
      fleetAgentsMs: mean(fleetSamples.map(s => s.agentsCpuMs)),
      rsServicesMs: mean(rsCpu),
    };
    console.log(
      `  mean service CPU per push (/proc, 10 ms ticks): fleet coordinator ${ms(cpu.fleetCoordinatorMs)} + ` +
        `agents ${ms(cpu.fleetAgentsMs)}; RS agents ${ms(cpu.rsServicesMs)} ` +
        `(fleet/RS ${fixed((cpu.fleetCoordinatorMs + cpu.fleetAgentsMs) / cpu.rsServicesMs)})`,
    );
    console.log(
      `\n  RATIO fleet/RS p50 = ${fixed(ratioP50)}, p99 = ${fixed(ratioP99)} ` +
        `(fleet p50 ${ms(fleetTotals.p50)} vs ${ms(rs.p50)}, p99 ${ms(fleetTotals.p99)} vs ${ms(rs.p99)})`,
    );
    console.log(`  fleet p50 ${ms(fleetTotals.p50)} (target <= ${P50_TARGET_MS} ms) ${verdict(p50Pass)}`);
    console.log(`  fleet p99 ${ms(fleetTotals.p99)} (target <= ${P99_TARGET_MS} ms) ${verdict(p99Pass)}`);

    writeResult('fleet-latency-bench', {
      bench: 'fleet-latency-bench',
      date: new Date().toISOString(),
      pushes,
      warmup,
      pollMs,
      artifactBytes: fleetArtifacts[0]!.size,
      fleet: fleetTotals,
      rs,
      rsSingleUpload: summary(rsEach),
      breakdown,
      meanCpuPerPush: cpu,
      medianFleetMs: median(fleetSamples.map(s => s.totalMs)),
      ratioP50,
      ratioP99,
      targets: { p50Ms: P50_TARGET_MS, p99Ms: P99_TARGET_MS },
      p50Pass,
      p99Pass,
      samples: { fleetMs: fleetSamples.map(s => s.totalMs), rsMs: rsSamples },
    });
    console.log(
      `\nfleet-latency-bench: p50 ${ms(fleetTotals.p50)} ${verdict(p50Pass)}, p99 ${ms(fleetTotals.p99)} ${verdict(p99Pass)}; ` +
        `fleet/RS p50 ${fixed(ratioP50)}, p99 ${fixed(ratioP99)}`,
    );
    return p50Pass && p99Pass ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
