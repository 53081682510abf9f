/**
 * Runs every bench in sequence, each in its own process, then prints one summary.
 *
 *   npm run bench            (builds first: tsc -b && node --import tsx bench/run-all.ts)
 *   npx tsx bench/run-all.ts (after `npx tsc -b`)
 *
 * Exit code: 0 when every target passes, 1 when a target is missed, 2 when a bench could not run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/processes.js';
import { fixed, OUT_DIR, verdict } from './lib/util.js';

const BENCHES = [
  'upload-bench',
  'auth-throughput-bench',
  'fleet-latency-bench',
  'fleet-throughput-bench',
  'fleet-enqueue-bench',
  'cli-start-bench',
] as const;

function runBench(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, join(REPO_ROOT, 'bench', `${name}.ts`)], {
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 2 : 0)));
  });
}

function readResult(name: string): Record<string, unknown> | undefined {
  const path = join(OUT_DIR, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
}

interface UploadResult {
  timed: { ratio: number; target: number; pass: boolean; medianBaselineMs: number; medianUploadMs: number };
  memory: { growthMiB: number; growthFractionOfArtifact: number; targetMiB: number; pass: boolean };
}
interface AuthResult {
  target: number;
  routes: { key: string; medianRps: number }[];
  ratios: { key: string; ratio: number; pass: boolean; serverCpuRatio: number }[];
}
interface FleetLatencyResult {
  fleet: { p50: number; p99: number };
  ratioP50: number;
  ratioP99: number;
  targets: { p50Ms: number; p99Ms: number };
  p50Pass: boolean;
  p99Pass: boolean;
}
interface FleetThroughputResult {
  ratio: number;
  target: number;
  pass: boolean;
}
interface CliStartResult {
  version: { ratio: number; target: number; pass: boolean };
  list: { medianMs: number; ratio: number; targetMs: number; pass: boolean };
}
interface FleetEnqueueResult {
  enqueue: { medianDispatcherMs: number; ratioAddBulk: number; targetMs: number; pass: boolean };
  memory?: { unexplainedBytes: number; growth: { total: number }; pass: boolean };
}

const codes: Record<string, number> = {};
for (const name of BENCHES) {
  rmSync(join(OUT_DIR, `${name}.json`), { force: true });
  console.log(`\n=== ${name} ${'='.repeat(60 - name.length)}`);
  codes[name] = await runBench(name);
}

console.log(`\n=== summary ${'='.repeat(55)}`);
const upload = readResult('upload-bench') as UploadResult | undefined;
if (upload) {
  const { timed, memory } = upload;
  console.log(
    `upload 256 MiB / (cp + sha256sum)   ${fixed(timed.ratio).padStart(6)}  (target <= ${timed.target})   ${verdict(timed.pass)}`,
  );
  console.log(
    `agent RSS growth, 1 GiB upload      ${fixed(memory.growthMiB, 1).padStart(6)} MiB = ${fixed(memory.growthFractionOfArtifact * 100, 2)}% ` +
      `(target < ${memory.targetMiB} MiB)   ${verdict(memory.pass)}`,
  );
} else {
  console.log(`upload-bench: no result (exit code ${codes['upload-bench']})`);
}
const auth = readResult('auth-throughput-bench') as AuthResult | undefined;
if (auth) {
  for (const { key, ratio, pass, serverCpuRatio } of auth.ratios) {
    console.log(
      `${`${key} / trivial req/s`.padEnd(35)} ${fixed(ratio).padStart(6)}  (target >= ${auth.target})   ${verdict(pass)}` +
        `   [server CPU/request ratio ${fixed(serverCpuRatio)}]`,
    );
  }
} else {
  console.log(`auth-throughput-bench: no result (exit code ${codes['auth-throughput-bench']})`);
}
const latency = readResult('fleet-latency-bench') as FleetLatencyResult | undefined;
if (latency) {
  const { fleet, targets } = latency;
  console.log(
    `fleet push 4 KiB → completed, p50    ${fixed(fleet.p50, 1).padStart(6)} ms (target <= ${targets.p50Ms})   ${verdict(latency.p50Pass)}` +
      `   [fleet/RS ${fixed(latency.ratioP50)}]`,
  );
  console.log(
    `fleet push 4 KiB → completed, p99    ${fixed(fleet.p99, 1).padStart(6)} ms (target <= ${targets.p99Ms})   ${verdict(latency.p99Pass)}` +
      `   [fleet/RS ${fixed(latency.ratioP99)}]`,
  );
} else {
  console.log(`fleet-latency-bench: no result (exit code ${codes['fleet-latency-bench']})`);
}
const throughput = readResult('fleet-throughput-bench') as FleetThroughputResult | undefined;
if (throughput) {
  console.log(
    `fleet push 64 MiB / 3 curl uploads   ${fixed(throughput.ratio).padStart(6)}  (target <= ${throughput.target})   ${verdict(throughput.pass)}`,
  );
} else {
  console.log(`fleet-throughput-bench: no result (exit code ${codes['fleet-throughput-bench']})`);
}
const enqueue = readResult('fleet-enqueue-bench') as FleetEnqueueResult | undefined;
if (enqueue) {
  const { enqueue: e, memory } = enqueue;
  console.log(
    `1000 node jobs enqueued              ${fixed(e.medianDispatcherMs, 0).padStart(6)} ms (target < ${e.targetMs})   ${verdict(e.pass)}` +
      `   [dispatcher/addBulk ${fixed(e.ratioAddBulk)}]`,
  );
  if (memory) {
    console.log(
      `Redis growth beyond action records   ${fixed(memory.unexplainedBytes / 1024, 0).padStart(6)} KiB of ${fixed(memory.growth.total / 1024, 0)} KiB ` +
        `(target < 10% or < 1 MiB)   ${verdict(memory.pass)}`,
    );
  }
} else {
  console.log(`fleet-enqueue-bench: no result (exit code ${codes['fleet-enqueue-bench']})`);
}
const cliStart = readResult('cli-start-bench') as CliStartResult | undefined;
if (cliStart) {
  const { version, list } = cliStart;
  console.log(
    `modfleet --version / node -e 0      ${fixed(version.ratio).padStart(6)}  (target <= ${version.target})   ${verdict(version.pass)}`,
  );
  console.log(
    `modfleet nodes, local cluster        ${fixed(list.medianMs, 0).padStart(6)} ms (target <= ${list.targetMs})   ${verdict(list.pass)}` +
      `   [nodes/node -e 0 ${fixed(list.ratio)}]`,
  );
} else {
  console.log(`cli-start-bench: no result (exit code ${codes['cli-start-bench']})`);
}
const worst = Math.max(...Object.values(codes));
process.exit(worst === 0 ? 0 : worst === 1 ? 1 : 2);
