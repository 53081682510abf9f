/**
 * Relay CPU bench (issue 19): CPU spent per MiB by one relaying node over HTTPS — receive from an
 * upstream, verify each piece, write, fsync, and serve the same bytes to a downstream that reads
 * while it arrives, as the middle of a chain does. The node is the agent's relay (fetchPieces, the
 * peer route, the cluster client, TLS with a CA-signed certificate) alone in its own process
 * (bench/lib/relay-node.ts), so its CPU is the relay's and not an install's or a heartbeat's. The
 * upstream (a blob served with Range) and the downstream (the cluster client, hashing what it got)
 * run in this process.
 *
 * Per run: the node's CPU (process.cpuUsage, every thread; /proc/<pid>/stat beside it) over the
 * transfer, minus its CPU over an idle window as long, divided by the MiB relayed. Baseline, in
 * the same run: a plain node process that sha256s the same bytes once and writes them with fsync
 * (the least a verifying store must do; no TLS, no serving). Target: ≤ 6 ms per MiB. Untimed
 * warm-up runs first, at least --warmup-mib (256) relayed: a fresh process runs the relay path
 * slower while the JIT compiles it, once per process (an agent lives on).
 *
 *   npx tsc -b && npx tsx bench/relay-cpu-bench.ts [--runs 5] [--size-mib 16] [--warmup-mib 256] [--before DIR] [--cpu-prof]
 *
 * --before DIR: a second node runs the relay modules in DIR (another commit's
 * packages/agent/src/relay/*.ts, under bench/.out so they resolve this repo's packages), its runs
 * alternating with this build's:
 *   mkdir -p bench/.out/relay-main && for f in piece-fetcher peer-blob-routes transfer-registry; do
 *     git show main:packages/agent/src/relay/$f.ts > bench/.out/relay-main/$f.ts; done
 * --cpu-prof: each node writes a V8 CPU profile under bench/.out/relay-cpu-prof/ as it exits.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createClusterHttpClient, hashPieces, pathTo, pieceSizeFor, routes, type PieceIndex } from '@modfleet/common';
import { processCpuMs } from './lib/process-cpu.js';
import {
  baselineCpuMs,
  benchTls,
  BUILT_RELAY,
  spawnRelayNode,
  startUpstream,
  type RelayNode,
} from './lib/relay-cpu-parts.js';
import {
  checkBuild,
  Cleanup,
  fixed,
  machineLine,
  median,
  MIB,
  OUT_DIR,
  runBench,
  verdict,
  writeResult,
} from './lib/util.js';

const TARGET_MS_PER_MIB = 6;
const CLUSTER_SECRET = 'relay-cpu-bench-secret-0123456789';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'size-mib': { type: 'string', default: '16' },
    'warmup-mib': { type: 'string', default: '256' },
    before: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const runs = Number(flags.runs);
const sizeMib = Number(flags['size-mib']);
/** Untimed runs first, relaying at least --warmup-mib in all: the JIT compiles the relay path once per process. */
const warmups = Math.max(1, Math.ceil(Number(flags['warmup-mib']) / sizeMib));

interface Run {
  relayMsPerMib: number;
  procMsPerMib: number;
  idleMs: number;
  gcMs: number;
  wallMs: number;
  load: number;
}

interface Side {
  label: string;
  node: RelayNode;
  runs: Run[];
}

async function main(): Promise<number> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!(sizeMib > 0)) throw new Error('--size-mib must be positive');
  if (!(Number(flags['warmup-mib']) >= 0)) throw new Error('--warmup-mib must be a number of MiB');
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const dir = await cleanup.tmpDir('relay-cpu');
    const blob = randomBytes(sizeMib * MIB);
    const blobFile = join(dir, 'blob');
    await writeFile(blobFile, blob);
    const index = await hashPieces(Readable.from([blob]), pieceSizeFor(blob.length));
    const tls = await benchTls();
    const upstream = await startUpstream(blob, tls);
    cleanup.add('upstream', () => new Promise(done => upstream.server.close(done)));
    const downstream = createClusterHttpClient({ caPem: tls.caPem });
    cleanup.add('downstream client', () => downstream.close());
    const profileDir = flags['cpu-prof'] ? join(OUT_DIR, 'relay-cpu-prof') : undefined;
    const sides: Side[] = [];
    for (const [label, modules] of [
      ['this build', BUILT_RELAY],
      ...(flags.before ? [['before', resolve(flags.before)]] : []),
    ] as [string, string][]) {
      const node = await spawnRelayNode(tls, CLUSTER_SECRET, modules, profileDir);
      cleanup.add(`relay node (${label})`, () => node.stop());
      sides.push({ label, node, runs: [] });
    }

    console.log(machineLine());
    console.log(
      `relaying ${sizeMib} MiB in ${index.pieces.length} pieces of ${index.piece_size / 1024} KiB over HTTPS, ${runs} runs after ${warmups} untimed${flags.before ? `, alternating with ${flags.before}` : ''}`,
    );
    const baselines: number[] = [];
    for (let run = 1 - warmups; run <= runs; run += 1) {
      for (const side of (run + warmups) % 2 === 0 ? sides : [...sides].reverse()) {
        const measured = await relayOnce(side.node, index, upstream.url, downstream, dir);
        if (run <= 0) continue;
        side.runs.push(measured);
        console.log(
          `run ${run} ${side.label}: relay ${fixed(measured.relayMsPerMib)} ms/MiB (/proc: ${fixed(measured.procMsPerMib)}, idle ${fixed(measured.idleMs, 1)} ms subtracted, GC pauses ${Math.round(measured.gcMs)} ms, ${Math.round(measured.wallMs)} ms wall), load ${fixed(measured.load)}`,
        );
      }
      const baselineMs = await baselineCpuMs(blobFile, join(dir, `baseline-${run}`));
      await rm(join(dir, `baseline-${run}`), { force: true });
      if (run <= 0) continue;
      baselines.push(baselineMs / sizeMib);
      console.log(`run ${run} baseline: ${fixed(baselineMs / sizeMib)} ms/MiB`);
    }
    const baseline = median(baselines);
    const relay = median(sides[0]!.runs.map(r => r.relayMsPerMib));
    const pass = relay <= TARGET_MS_PER_MIB;
    console.log('');
    for (const side of sides) {
      const value = median(side.runs.map(r => r.relayMsPerMib));
      console.log(
        `${side.label}: relay CPU per MiB (median) ${fixed(value)} ms vs baseline (node sha256 + write + fsync) ${fixed(baseline)} ms: ratio ${fixed(value / baseline)}`,
      );
    }
    console.log(`target ≤ ${TARGET_MS_PER_MIB} ms/MiB (this build): ${verdict(pass)}`);
    console.log(
      `load average: ${loadavg()
        .map(l => fixed(l))
        .join(' ')}`,
    );
    const result = {
      sizeMib,
      warmups,
      pieceSize: index.piece_size,
      baseline,
      sides: sides.map(side => ({
        label: side.label,
        relay: median(side.runs.map(r => r.relayMsPerMib)),
        runs: side.runs,
      })),
      pass,
    };
    console.log(`results: ${writeResult('relay-cpu-bench', result)}`);
    return pass ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

/** One relay through the node, its downstream reading alongside; then an idle window as long. */
async function relayOnce(
  node: RelayNode,
  index: PieceIndex,
  upstreamUrl: string,
  downstream: ReturnType<typeof createClusterHttpClient>,
  dir: string,
): Promise<Run> {
  const load = loadavg()[0]!;
  const { ms: before, gcMs: gcBefore } = await node.ask({ type: 'cpu' }, 'cpu');
  const procBefore = processCpuMs(node.pid);
  const started = performance.now();
  const fetched = node.ask(
    {
      type: 'fetch',
      request: {
        sha256: index.sha256,
        size: index.size,
        pieceSize: index.piece_size,
        hashes: index.pieces,
        sources: [{ id: 'origin', url: upstreamUrl }],
        tempDir: dir,
      },
    },
    'fetched',
  );
  const received = createHash('sha256');
  await downstream.downloadTo(
    `${node.url}${pathTo(routes.peerBlob, { sha256: index.sha256 })}`,
    chunk => void received.update(chunk),
    { what: 'downstream', clusterSecret: CLUSTER_SECRET, idleTimeoutMs: 30_000 },
  );
  await fetched;
  const wallMs = performance.now() - started;
  const { ms: after, gcMs: gcAfter } = await node.ask({ type: 'cpu' }, 'cpu');
  const procAfter = processCpuMs(node.pid);
  if (received.digest('hex') !== index.sha256) throw new Error('the downstream received other bytes');
  await node.ask({ type: 'release' }, 'released');

  const { ms: idleBefore } = await node.ask({ type: 'cpu' }, 'cpu');
  await sleep(wallMs);
  const { ms: idleAfter } = await node.ask({ type: 'cpu' }, 'cpu');
  const idleMs = idleAfter - idleBefore;
  const mib = index.size / MIB;
  return {
    relayMsPerMib: (after - before - idleMs) / mib,
    procMsPerMib: (procAfter - procBefore - idleMs) / mib,
    idleMs,
    gcMs: gcAfter - gcBefore,
    wallMs,
    load,
  };
}

runBench(main);
