/**
 * Pre-flight bench: an upgrade's pre-flight with the rollback rehearsal (mfver 1.0.0 → 1.1.0) on
 * a shard holding 100 MiB, through Redis to an agent's responder in this process, against what it
 * does measured by hand in the same run: one BGSAVE of the shard plus two redis-server starts
 * that load that RDB (one with the target module, one with the current). Median of each over the
 * runs. Target (issue 18): pre-flight ≤ 1.5 × by hand.
 *
 *   npx tsc -b && npx tsx bench/preflight-bench.ts [--runs 3] [--size-mib 100]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shardArgs, startPreflightResponder } from '@modfleet/agent';
import { createLogger, findRedisServer, redisKeys, type ShardModule, type ShardPlan } from '@modfleet/common';
import { createPreflightRunner, type BdbRecord } from '@modfleet/coordinator';
import { Redis } from 'ioredis';
import { pollFor } from '../test/helpers/poll.js';
import { freePort, waitUntil } from '../test/helpers/processes.js';
import { answersPing } from '../test/helpers/redis-probe.js';
import { deletePrefix } from '../test/helpers/redis.js';
import { MFVER_VERSIONS, testModulePath, writeTestModuleZip, type MfverSemver } from '../test/helpers/test-modules.js';
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
  options: { runs: { type: 'string', default: '3' }, 'size-mib': { type: 'string', default: '100' } },
});
const runs = Number(flags.runs);
const sizeMib = Number(flags['size-mib']);
const VALUE_BYTES = 1024;
const mfver = (semver: MfverSemver): ShardModule => ({
  module_name: 'mfver',
  version: MFVER_VERSIONS[semver].version,
  module_args: 'LABEL bench',
});

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

async function main(): Promise<number> {
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const prefix = benchPrefix('preflight');
    cleanup.add('redis keys', () => deletePrefix(prefix));
    const keys = redisKeys(prefix);
    const work = await cleanup.tmpDir('preflight');
    const redisServer = (await findRedisServer())!;
    const redis = cleanup.redis();
    const subscriber = cleanup.redis();
    const zips = new Map<number, string>();
    for (const semver of ['1.0.0', '1.1.0'] as const)
      zips.set(MFVER_VERSIONS[semver].version, await writeTestModuleZip(work, semver));

    const plan: ShardPlan = {
      shard_uid: 1,
      bdb_uid: 1,
      role: 'master',
      port: await freePort(),
      memory_size: 0,
      data_persistence: 'disabled',
      modules: [mfver('1.0.0')],
    };
    const shardDir = join(work, 'node', 'shards', '1');
    await mkdir(shardDir, { recursive: true });
    const modules = [{ path: await testModulePath('1.0.0'), args: 'LABEL bench' }];
    const shardProcess = spawn(redisServer, shardArgs(plan, { bind: '127.0.0.1', dir: shardDir, modules }), {
      stdio: 'ignore',
    });
    cleanup.add('shard', () => Promise.resolve(shardProcess.kill('SIGKILL')));
    await waitUntil(() => answersPing(plan.port), 'the shard answering', 15_000);
    const shard = new Redis({ port: plan.port, host: '127.0.0.1' });
    cleanup.add('shard client', () => Promise.resolve(shard.disconnect()));
    const count = Math.round((sizeMib * MIB) / VALUE_BYTES);
    for (let i = 0; i < count; i += 1000) {
      const batch = shard.pipeline();
      for (let j = i; j < Math.min(count, i + 1000); j += 1) batch.set(`k:${j}`, randomBytes(VALUE_BYTES));
      await batch.exec();
    }
    for (let i = 0; i < 100; i += 1) await shard.call('MFVER.SET', `typed:${i}`, `value ${i}`);
    const used = /used_memory:(\d+)/.exec(await shard.info('memory'))?.[1];

    await redis.hset(keys.nodeShards(1), '1', JSON.stringify(plan));
    const responder = await startPreflightResponder({
      redis,
      subscriber,
      keys,
      nodeUid: 1,
      dataDir: join(work, 'node'),
      redisServer,
      artifacts: {
        get: (module_name, version) =>
          zips.has(version)
            ? ({ module_name, version, sha256: String(version).padEnd(64, '0'), module_file: 'mfver.so' } as never)
            : undefined,
        zipPath: (_name, version) => zips.get(version)!,
      },
      maxModuleBytes: 64 * MIB,
      probeHost: '127.0.0.1',
      logger: createLogger({ name: 'agent', level: 'silent' }),
    });
    cleanup.add('responder', () => responder.stop());
    const runner = createPreflightRunner({ redis, keys });
    const record = { uid: 1, placement: [{ node_uid: 1, plan }] } as unknown as BdbRecord;
    const byHandDir = join(work, 'by-hand');
    await mkdir(byHandDir);
    const [current, target] = [await testModulePath('1.0.0'), await testModulePath('1.1.0')];

    const preflightMs: number[] = [];
    const handMs: number[] = [];
    const parts: { bgsave: number; loadTarget: number; loadCurrent: number }[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      const preflight = await runner.run(record, [mfver('1.1.0')], { rehearseRollback: true, timeoutMs: 300_000 });
      preflightMs.push(performance.now() - started);
      if (!preflight.ok || preflight.rollback !== 'possible')
        throw new Error(`the pre-flight failed: ${JSON.stringify(preflight)}`);

      const saved = await bgsave(shard);
      await rename(join(shardDir, 'dump.rdb'), join(byHandDir, 'dump.rdb'));
      const loadTarget = await loadByHand(redisServer, target, byHandDir);
      const loadCurrent = await loadByHand(redisServer, current, byHandDir);
      parts.push({ bgsave: saved, loadTarget, loadCurrent });
      handMs.push(saved + loadTarget + loadCurrent);
      console.log(
        `run ${run + 1}: pre-flight ${fixed(preflightMs.at(-1)!, 0)} ms (keys ${preflight.shards[0]?.data.keys}); ` +
          `by hand ${fixed(handMs.at(-1)!, 0)} ms (BGSAVE ${fixed(saved, 0)} + load ${fixed(loadTarget, 0)} + load ${fixed(loadCurrent, 0)})`,
      );
    }
    const pre = median(preflightMs);
    const hand = median(handMs);
    const ratio = pre / hand;
    const pass = ratio <= 1.5;
    console.log(machineLine());
    console.log(
      `shard: ${count} keys of ${VALUE_BYTES} B + 100 mfvertype, used_memory ${fixed(Number(used) / MIB, 1)} MiB`,
    );
    console.log(
      `pre-flight with rehearsal p50 ${fixed(pre, 0)} ms; BGSAVE + two loads by hand p50 ${fixed(hand, 0)} ms`,
    );
    console.log(`ratio ${fixed(ratio)} (target ≤ 1.5): ${verdict(pass)}`);
    writeResult('preflight-bench', {
      runs,
      sizeMib,
      preflightMs,
      handMs,
      parts,
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
