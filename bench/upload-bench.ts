/**
 * Upload bench: streaming a 256 MiB artifact to an agent (multipart POST
 * /v2/local/modules/user-defined/artifacts) against `cp <file> <dest> && sync <dest> && sha256sum <dest>`
 * of the same file on the same filesystem (the agent fsyncs before it answers, so the baseline
 * does too; plain `cp && sha256sum` runs beside it to show what the fsync costs), interleaved,
 * median of N runs each; then the agent's
 * peak RSS growth while it receives a 1 GiB artifact. The timed uploads go over HTTPS (the agent's
 * own CA) unless `--scheme http`.
 *
 *   npx tsx bench/upload-bench.ts [--runs 3] [--client curl|node] [--size-mib 256] [--memory-size-mib 1024] [--scheme https|http]
 *
 * The agent is the built CLI (`modfleet agent`) in its own process: run `npx tsc -b` first.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pathTo, routes } from '@modfleet/common';
import { spawnAgentProcess, procStatusBytes, resetPeakRss, sampleRss, type AgentProcess } from './lib/agent-process.js';
import { smallArtifactZip, writeArtifactZipFile, type ArtifactFile } from './lib/artifact.js';
import { uploadArtifact, type UploadClient } from './lib/upload-client.js';
import { basicAuth } from '../test/helpers/http.js';
import { deletePrefix } from '../test/helpers/redis.js';
import {
  BENCH_ADMIN,
  checkBuild,
  Cleanup,
  createBenchAdmin,
  fixed,
  machineLine,
  median,
  MIB,
  trackChild,
  benchPrefix,
  verdict,
  writeResult,
  runBench,
} from './lib/util.js';

const RATIO_TARGET = 1.5;
const RSS_GROWTH_TARGET = 64 * MIB;

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    client: { type: 'string', default: 'curl' },
    'size-mib': { type: 'string', default: '256' },
    'memory-size-mib': { type: 'string', default: '1024' },
    /** The timed uploads go to the agent's HTTPS port (as RS clients do) or its plain HTTP one. */
    scheme: { type: 'string', default: 'https' },
  },
});
const runs = Number(flags.runs);
const client = flags.client as UploadClient;
const timedBytes = Number(flags['size-mib']) * MIB;
const memoryBytes = Number(flags['memory-size-mib']) * MIB;
const https = flags.scheme === 'https';

function checkFlags(): void {
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (client !== 'curl' && client !== 'node') throw new Error('--client must be curl or node');
  if (flags.scheme !== 'https' && flags.scheme !== 'http') throw new Error('--scheme must be https or http');
  if (https && client === 'node') throw new Error('--client node uploads over plain HTTP: add --scheme http');
  if (!(timedBytes > 0 && memoryBytes > 0)) throw new Error('--size-mib and --memory-size-mib must be positive');
}

/** Runs a command, resolving with its stdout; rejects on a non-zero exit. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', code =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr}`)),
    );
  });
}

/** Flushes dirty pages left by the previous run so it does not slow the next one (untimed). */
const settle = () => run('sync', []);

/**
 * The baseline: copy the file onto the agent's filesystem, fsync the copy (`sync FILE`) when
 * `durable`, and hash it, as one shell command.
 */
async function baselineRun(artifact: ArtifactFile, dest: string, durable = true): Promise<number> {
  await settle();
  const script = durable ? 'cp "$1" "$2" && sync "$2" && sha256sum "$2"' : 'cp "$1" "$2" && sha256sum "$2"';
  const started = process.hrtime.bigint();
  const out = await run('sh', ['-c', script, 'sh', artifact.path, dest]);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (!out.startsWith(artifact.sha256)) throw new Error(`sha256sum disagrees with the zip's hash: ${out}`);
  await rm(dest, { force: true });
  return elapsedMs;
}

async function deleteArtifact(agent: AgentProcess, moduleName: string, version: number): Promise<void> {
  const res = await fetch(`${agent.url}${pathTo(routes.localArtifact, { moduleName, version })}`, {
    method: 'DELETE',
    headers: { authorization: basicAuth(BENCH_ADMIN) },
  });
  if (res.status !== 200) throw new Error(`DELETE answered ${res.status}: ${await res.text()}`);
}

/** One upload that must install the artifact with the very bytes sent; the artifact is deleted after (untimed). */
async function uploadRun(agent: AgentProcess, artifact: ArtifactFile): Promise<number> {
  await settle();
  const result = await uploadArtifact(client, {
    url: `${https ? agent.httpsUrl : agent.url}${routes.localArtifacts}`,
    file: artifact.path,
    size: artifact.size,
    credentials: BENCH_ADMIN,
    ...(https && { caFile: agent.caFile }),
  });
  if (result.status !== 200) throw new Error(`upload answered ${result.status}: ${result.body}`);
  const body = JSON.parse(result.body) as { sha256?: string; size?: number };
  if (body.sha256 !== artifact.sha256 || body.size !== artifact.size) {
    throw new Error(`the agent stored different bytes: ${result.body}`);
  }
  await deleteArtifact(agent, artifact.moduleName, artifact.version);
  return result.elapsedMs;
}

async function timedComparison(agent: AgentProcess, artifact: ArtifactFile, baselineDest: string) {
  console.log(
    `\n[1/2] ${artifact.size} byte artifact: upload (${client}, ${https ? 'HTTPS' : 'HTTP'}) vs cp + sync + sha256sum (and cp + sha256sum), ${runs} runs each`,
  );
  const baseline: number[] = [];
  const plain: number[] = [];
  const upload: number[] = [];
  const warmBaseline = await baselineRun(artifact, baselineDest);
  const warmUpload = await uploadRun(agent, artifact);
  console.log(`  warm-up (not counted): baseline ${fixed(warmBaseline, 0)} ms, upload ${fixed(warmUpload, 0)} ms`);
  for (let i = 1; i <= runs; i += 1) {
    baseline.push(await baselineRun(artifact, baselineDest));
    plain.push(await baselineRun(artifact, baselineDest, false));
    upload.push(await uploadRun(agent, artifact));
    console.log(
      `  run ${i}: cp+sync+sha256sum ${fixed(baseline.at(-1)!, 0)} ms, cp+sha256sum ${fixed(plain.at(-1)!, 0)} ms, upload ${fixed(upload.at(-1)!, 0)} ms`,
    );
  }
  const baselineMs = median(baseline);
  const plainMs = median(plain);
  const uploadMs = median(upload);
  const ratio = uploadMs / baselineMs;
  const mibPerS = (ms: number) => artifact.size / MIB / (ms / 1000);
  console.log(`  median cp+sync+sha256sum ${fixed(baselineMs, 0)} ms (${fixed(mibPerS(baselineMs), 0)} MiB/s)`);
  console.log(`  median cp+sha256sum      ${fixed(plainMs, 0)} ms (${fixed(mibPerS(plainMs), 0)} MiB/s)`);
  console.log(`  median upload            ${fixed(uploadMs, 0)} ms (${fixed(mibPerS(uploadMs), 0)} MiB/s)`);
  console.log(
    `  RATIO upload/(cp+sync+sha256sum) = ${fixed(ratio)} (target <= ${RATIO_TARGET}) ${verdict(ratio <= RATIO_TARGET)}`,
  );
  console.log(`  ratio upload/(cp+sha256sum, no fsync) = ${fixed(uploadMs / plainMs)} (for information)`);
  return {
    baselineMs: baseline,
    plainBaselineMs: plain,
    uploadMs: upload,
    medianBaselineMs: baselineMs,
    medianPlainBaselineMs: plainMs,
    medianUploadMs: uploadMs,
    ratio,
    ratioToPlainBaseline: uploadMs / plainMs,
  };
}

async function memoryGrowth(prefix: string, root: string, artifact: ArtifactFile, cleanup: Cleanup) {
  console.log(`\n[2/2] agent RSS while it receives a ${artifact.size} byte artifact (fresh agent process)`);
  const agent = await spawnAgentProcess({
    prefix,
    dataDir: join(root, 'agent-memory'),
    maxArtifactBytes: artifact.size + 16 * MIB,
  });
  cleanup.add('memory agent', () => agent.stop());
  try {
    // A small upload first, so lazy first-request work is not counted as growth.
    const warm = await smallArtifactZip('BenchWarmup', 1);
    const form = new FormData();
    form.append('module', new Blob([warm], { type: 'application/zip' }), 'warmup.zip');
    const res = await fetch(`${agent.url}${routes.localArtifacts}`, {
      method: 'POST',
      headers: { authorization: basicAuth(BENCH_ADMIN) },
      body: form,
    });
    if (res.status !== 200) throw new Error(`warm-up upload answered ${res.status}: ${await res.text()}`);
    await deleteArtifact(agent, 'BenchWarmup', 1);

    await sleep(1_000);
    const idleRss = procStatusBytes(agent.pid, 'VmRSS');
    const hwmReset = resetPeakRss(agent.pid);
    await settle();
    const during = sampleRss(agent.pid, 20);
    const result = await uploadArtifact(client, {
      url: `${agent.url}${routes.localArtifacts}`,
      file: artifact.path,
      size: artifact.size,
      credentials: BENCH_ADMIN,
    });
    await sleep(200);
    const sampled = during.stop();
    const hwm = hwmReset ? procStatusBytes(agent.pid, 'VmHWM') : 0;
    if (result.status !== 200) throw new Error(`upload answered ${result.status}: ${result.body}`);
    const body = JSON.parse(result.body) as { sha256?: string };
    if (body.sha256 !== artifact.sha256) throw new Error(`the agent stored different bytes: ${result.body}`);

    const peak = Math.max(sampled.peakBytes, hwm);
    const growth = peak - idleRss;
    const fraction = growth / artifact.size;
    console.log(
      `  idle RSS ${fixed(idleRss / MIB, 1)} MiB, peak ${fixed(peak / MIB, 1)} MiB ` +
        `(${sampled.samples} samples every 20 ms${hwmReset ? ', VmHWM reset before the upload' : ''})`,
    );
    console.log(
      `  upload took ${fixed(result.elapsedMs, 0)} ms (${fixed(artifact.size / MIB / (result.elapsedMs / 1000), 0)} MiB/s)`,
    );
    console.log(
      `  peak RSS growth ${fixed(growth / MIB, 1)} MiB = ${fixed(fraction * 100, 2)}% of the artifact ` +
        `(target < ${RSS_GROWTH_TARGET / MIB} MiB) ${verdict(growth < RSS_GROWTH_TARGET)}`,
    );
    return {
      idleRssMiB: idleRss / MIB,
      peakRssMiB: peak / MIB,
      growthMiB: growth / MIB,
      growthFractionOfArtifact: fraction,
      samples: sampled.samples,
      vmHwmUsed: hwmReset,
      uploadMs: result.elapsedMs,
    };
  } finally {
    await agent.stop();
  }
}

async function main(): Promise<number> {
  checkFlags();
  checkBuild();
  console.log(`upload-bench: ${machineLine()}`);
  const cleanup = new Cleanup();
  try {
    const prefix = benchPrefix('upload');
    cleanup.add('redis keys', () => deletePrefix(prefix));
    await createBenchAdmin(prefix);
    const root = await cleanup.tmpDir('upload');
    await mkdir(join(root, 'src'));
    await mkdir(join(root, 'baseline'));

    console.log(`writing artifacts to ${root} …`);
    const small = await writeArtifactZipFile(join(root, 'src', 'bench-timed.zip'), timedBytes, 'BenchModule', 1);
    const large = await writeArtifactZipFile(join(root, 'src', 'bench-memory.zip'), memoryBytes, 'BenchLarge', 1);

    const agent = await spawnAgentProcess({
      prefix,
      dataDir: join(root, 'agent'),
      maxArtifactBytes: large.size + 16 * MIB,
    });
    cleanup.add('agent', () => agent.stop());
    const [agentFs, baselineFs] = await Promise.all([stat(join(root, 'agent')), stat(join(root, 'baseline'))]);
    if (agentFs.dev !== baselineFs.dev) throw new Error('baseline and agent data dir are on different filesystems');
    console.log(`agent pid ${agent.pid} at ${agent.url}, data dir and baseline dest on device ${agentFs.dev}`);

    const timed = await timedComparison(agent, small, join(root, 'baseline', 'copy.zip'));
    await agent.stop();
    const memory = await memoryGrowth(prefix, root, large, cleanup);

    const ratioPass = timed.ratio <= RATIO_TARGET;
    const memoryPass = memory.growthMiB * MIB < RSS_GROWTH_TARGET;
    writeResult('upload-bench', {
      bench: 'upload-bench',
      date: new Date().toISOString(),
      client,
      runs,
      timed: { artifactBytes: small.size, ...timed, target: RATIO_TARGET, pass: ratioPass },
      memory: { artifactBytes: large.size, ...memory, targetMiB: RSS_GROWTH_TARGET / MIB, pass: memoryPass },
    });
    console.log(
      `\nupload-bench: upload/baseline ${fixed(timed.ratio)} ${verdict(ratioPass)}; ` +
        `RSS growth ${fixed(memory.growthMiB, 1)} MiB (${fixed(memory.growthFractionOfArtifact * 100, 2)}% of ${fixed(large.size / MIB, 0)} MiB) ${verdict(memoryPass)}`,
    );
    return ratioPass && memoryPass ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
