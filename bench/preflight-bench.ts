/**
 * Pre-flight bench: an upgrade's pre-flight with the rollback rehearsal (mfver 1.0.0 → 1.1.0) on
 * a shard holding 100 MiB, through Redis to an agent's responder in this process, against what it
 * does measured by hand in the same run: one BGSAVE of the shard plus two redis-server starts
 * that load that RDB (one with the target module, one with the current). Median of each over the
 * runs. Target (issue 18): pre-flight ≤ 1.5 × by hand.
 *
 * `--replicated`: the database db-upgrade-bench upgrades (100 MiB of 64 KiB values, a master on
 * node 1 and its replica on node 2, each node with its responder) under a client writing to the
 * master during the pre-flight; also printed: the client's longest wait, the master's forks and
 * each node's step times (its `pre-flight answered` log line).
 *
 *   npx tsc -b && npx tsx bench/preflight-bench.ts [--runs 3] [--size-mib 100] [--replicated]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findRedisServer } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { pollFor } from '../test/helpers/poll.js';
import { freePort, waitUntil } from '../test/helpers/processes.js';
import { answersPing } from '../test/helpers/redis-probe.js';
import { deletePrefix } from '../test/helpers/redis.js';
import { testModulePath } from '../test/helpers/test-modules.js';
import { preflightMfver, startPreflightNodes } from '../test/helpers/preflight-nodes.js';
import { startWriteLoop } from '../test/helpers/write-load.js';
import { fillWithData } from './lib/fill-data.js';
import {
  benchPrefix,
  checkBuild,
  Cleanup,
  fixed,
  machineLine,
  median,
  MIB,
  runBench,
  verdict,
  writeResult,
} from './lib/util.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '100' },
    replicated: { type: 'boolean', default: false },
  },
});
const runs = Number(flags.runs);
const sizeMib = Number(flags['size-mib']);
const replicated = flags.replicated;
const VALUE_BYTES = 1024;

/** A redis-server started with `module` and the RDB in `dir`, until it answers PING (loaded); then stopped. */
async function loadByHand(redisServer: string, module: string, dir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--loadmodule', module],
    { stdio: 'ignore' },
  );
  try {
    await waitUntil(() => answersPing(port), `redis-server on ${port} loading the RDB`, 120_000);
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
  }
}

/** BGSAVE until it finished, as an operator would take the copy. */
async function bgsave(shard: Redis): Promise<number> {
  const before = await shard.lastsave();
  const started = performance.now();
  await shard.bgsave();
  await pollFor(
    async () =>
      (await shard.lastsave()) !== before && !/rdb_bgsave_in_progress:1/.test(await shard.info('persistence')),
    saved => saved,
    'BGSAVE to finish',
    { timeoutMs: 600_000, intervalMs: 5 },
  );
  return performance.now() - started;
}

/** 1 KiB values (the single shard, as first measured) or db-upgrade-bench's 64 KiB ones (replicated). */
async function fill(master: Redis, port: number): Promise<number> {
  if (replicated) return fillWithData({ host: '127.0.0.1', port }, sizeMib);
  const count = Math.round((sizeMib * MIB) / VALUE_BYTES);
  for (let i = 0; i < count; i += 1000) {
    const batch = master.pipeline();
    for (let j = i; j < Math.min(count, i + 1000); j += 1) batch.set(`k:${j}`, randomBytes(VALUE_BYTES));
    await batch.exec();
  }
  for (let i = 0; i < 100; i += 1) await master.call('MFVER.SET', `typed:${i}`, `value ${i}`);
  return count + 100;
}

const totalForks = async (shard: Redis) => Number(/total_forks:(\d+)/.exec(await shard.info('stats'))?.[1]);

async function main(): Promise<number> {
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const prefix = benchPrefix('preflight');
    cleanup.add('redis keys', () => deletePrefix(prefix));
    const work = await cleanup.tmpDir('preflight');
    const redisServer = (await findRedisServer())!;
    const setup = await startPreflightNodes({ work, redisServer, prefix, replicated });
    cleanup.add('shards and responders', () => setup.stop());
    const [master, replica] = setup.shards;
    const count = await fill(master!.client, master!.plan.port);
    if (replica) await master!.client.call('WAIT', '1', '120000');
    const used = /used_memory:(\d+)/.exec(await master!.client.info('memory'))?.[1];

    const byHandDir = join(work, 'by-hand');
    await mkdir(byHandDir);
    const [current, target] = [await testModulePath('1.0.0'), await testModulePath('1.1.0')];

    const preflightMs: number[] = [];
    const handMs: number[] = [];
    const waits: number[] = [];
    const parts: { bgsave: number; loadTarget: number; loadCurrent: number }[] = [];
    const steps: Record<number, unknown[]>[] = [];
    for (let run = 0; run < runs; run += 1) {
      const forksBefore = await totalForks(master!.client);
      const writes = replicated
        ? startWriteLoop(() => Promise.resolve({ host: '127.0.0.1', port: master!.plan.port }))
        : undefined;
      const started = performance.now();
      const preflight = await setup.run([preflightMfver('1.1.0')]);
      preflightMs.push(performance.now() - started);
      const loop = await writes?.stop();
      if (loop) waits.push(loop.longestWaitMs);
      const masterForks = (await totalForks(master!.client)) - forksBefore;
      steps.push(setup.takeSteps());
      if (!preflight.ok || preflight.rollback !== 'possible')
        throw new Error(`the pre-flight failed: ${JSON.stringify(preflight)}`);

      const saved = await bgsave(master!.client);
      await rename(join(master!.dir, 'dump.rdb'), join(byHandDir, 'dump.rdb'));
      const loadTarget = await loadByHand(redisServer, target, byHandDir);
      const loadCurrent = await loadByHand(redisServer, current, byHandDir);
      parts.push({ bgsave: saved, loadTarget, loadCurrent });
      handMs.push(saved + loadTarget + loadCurrent);
      console.log(
        `run ${run + 1}: pre-flight ${fixed(preflightMs.at(-1)!, 0)} ms (keys ${preflight.shards.map(s => s.data.keys).join('/')}); ` +
          `by hand ${fixed(handMs.at(-1)!, 0)} ms (BGSAVE ${fixed(saved, 0)} + load ${fixed(loadTarget, 0)} + load ${fixed(loadCurrent, 0)})` +
          (loop
            ? `; client's longest wait ${fixed(loop.longestWaitMs, 0)} ms over ${loop.acknowledged.length} writes; the master forked ${masterForks} time(s)`
            : ''),
      );
      console.log(`  steps (ms) by node: ${JSON.stringify(steps.at(-1))}`);
    }
    const pre = median(preflightMs);
    const hand = median(handMs);
    const ratio = pre / hand;
    const pass = ratio <= 1.5;
    console.log(machineLine());
    console.log(
      replicated
        ? `database: ${count} keys (${sizeMib} MiB of 64 KiB values + 100 mfvertype), replicated, used_memory ${fixed(Number(used) / MIB, 1)} MiB`
        : `shard: ${count - 100} keys of ${VALUE_BYTES} B + 100 mfvertype, used_memory ${fixed(Number(used) / MIB, 1)} MiB`,
    );
    console.log(
      `pre-flight with rehearsal p50 ${fixed(pre, 0)} ms; BGSAVE + two loads by hand p50 ${fixed(hand, 0)} ms`,
    );
    if (replicated) console.log(`client's longest wait during the pre-flight p50 ${fixed(median(waits), 0)} ms`);
    console.log(`ratio ${fixed(ratio)} (target ≤ 1.5): ${verdict(pass)}`);
    writeResult('preflight-bench', {
      runs,
      sizeMib,
      replicated,
      preflightMs,
      handMs,
      parts,
      waits,
      steps,
      ratio,
      pass,
      usedMemory: Number(used),
    });
    return pass ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
