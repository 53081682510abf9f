import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shardArgs, shardDirOf, startPreflightResponder, type PreflightResponder } from '@modfleet/agent';
import {
  createLogger,
  findRedisServer,
  redisKeys,
  type ShardModule,
  type ShardPlan,
  type ShardPreflight,
} from '@modfleet/common';
import { createPreflightRunner, type BdbRecord } from '@modfleet/coordinator';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAllProcesses, runProcess, waitUntil, type ModfleetProcess } from '../helpers/processes.js';
import { answersPing } from '../helpers/redis-probe.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { MFVER_VERSIONS, testModulePath, writeTestModuleZip, type MfverSemver } from '../helpers/test-modules.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const NODE = 1;
const SILENT_NODE = 2;
const mfver = (semver: MfverSemver, module_args = ''): ShardModule => ({
  module_name: 'mfver',
  version: MFVER_VERSIONS[semver].version,
  module_args,
});

describe('upgrade pre-flight: each hosting agent rehearses on throwaway redis-servers', () => {
  const prefix = uniquePrefix('preflight');
  const keys = redisKeys(prefix);
  let work: string;
  let redis: Redis;
  let subscriber: Redis;
  let responder: PreflightResponder;
  let shard: ModfleetProcess;
  let shardClient: Redis;
  let shardDir: string;
  let plan: ShardPlan;
  let filesBefore: string[];
  const runner = () => createPreflightRunner({ redis, keys });
  const record = (...placement: BdbRecord['placement']) => ({ uid: plan.bdb_uid, placement }) as unknown as BdbRecord;
  const onlyShard = (shards: ShardPreflight[]) => {
    expect(shards).toHaveLength(1);
    return shards[0]!;
  };

  beforeAll(async () => {
    work = await makeTmpDir('modfleet-preflight');
    const dataDir = join(work, 'node-1');
    redis = new Redis(REDIS_URL);
    subscriber = new Redis(REDIS_URL);
    const zips = new Map<number, string>();
    for (const semver of ['1.0.0', '1.1.0', '2.0.0'] as const)
      zips.set(MFVER_VERSIONS[semver].version, await writeTestModuleZip(work, semver));
    const artifacts = {
      get: (module_name: string, version: number) =>
        zips.has(version)
          ? ({ module_name, version, sha256: `${version}`.padEnd(64, '0'), module_file: 'mfver.so' } as never)
          : undefined,
      zipPath: (_name: string, version: number) => zips.get(version)!,
    };
    plan = {
      shard_uid: 11,
      bdb_uid: 5,
      role: 'master',
      port: await freePort(),
      memory_size: 0,
      data_persistence: 'disabled',
      modules: [mfver('1.0.0', 'LABEL old')],
    };
    shardDir = shardDirOf(dataDir, plan.bdb_uid);
    await mkdir(shardDir, { recursive: true });
    const modules = [{ path: await testModulePath('1.0.0'), args: 'LABEL old' }];
    shard = runProcess('redis-server', shardArgs(plan, { bind: '127.0.0.1', dir: shardDir, modules }), {}, 'shard');
    await waitUntil(() => answersPing(plan.port), 'the shard answering', 15_000);
    shardClient = new Redis({ port: plan.port, host: '127.0.0.1' });
    for (let i = 0; i < 200; i += 1) await shardClient.set(`plain:${i}`, `value ${i}`);
    for (let i = 0; i < 3; i += 1) await shardClient.call('MFVER.SET', `typed:${i}`, `mf ${i}`);
    await redis.hset(keys.nodeShards(NODE), String(plan.shard_uid), JSON.stringify(plan));
    filesBefore = (await readdir(shardDir)).sort();
    responder = await startPreflightResponder({
      redis,
      subscriber,
      keys,
      nodeUid: NODE,
      dataDir,
      redisServer: await findRedisServer(),
      artifacts,
      maxModuleBytes: 64 * 1024 * 1024,
      probeHost: '127.0.0.1',
      logger: createLogger({ name: 'agent', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await responder?.stop();
    shardClient?.disconnect();
    await killAllProcesses();
    redis?.disconnect();
    subscriber?.disconnect();
    await deletePrefix(prefix);
    if (work) await removeDir(work);
  });

  it('1.0.0 → 1.1.0: loads with its args, reads a fresh copy of the data, and 1.0.0 reads back what 1.1.0 saves', async () => {
    await shardClient.set('fresh', 'written just before the pre-flight');
    const preflight = await runner().run(record({ node_uid: NODE, plan }), [mfver('1.1.0', 'LABEL new')], {
      rehearseRollback: true,
    });

    expect(preflight).toMatchObject({ ok: true, rollback: 'possible' });
    expect(onlyShard(preflight.shards)).toMatchObject({
      node_uid: NODE,
      shard_uid: 11,
      role: 'master',
      load: { ok: true },
      data: { ok: true, keys: 204 },
      rollback: { possible: true },
    });
  });

  it('1.0.0 → 2.0.0 with an mfvertype key: rollback impossible, in mfver’s own words', async () => {
    const preflight = await runner().run(record({ node_uid: NODE, plan }), [mfver('2.0.0')], {
      rehearseRollback: true,
    });

    expect(preflight).toMatchObject({ ok: true, rollback: 'impossible' });
    expect(preflight.rollback_reason).toContain('mfver 1.0.0 cannot load mfvertype encoding version 2');
    expect(onlyShard(preflight.shards)).toMatchObject({ data: { ok: true, keys: 204 }, rollback: { possible: false } });
  });

  it('a typo in the new args fails the load in the loader’s words; without a rehearsal nothing is rehearsed', async () => {
    const preflight = await runner().run(record({ node_uid: NODE, plan }), [mfver('1.1.0', 'LABLE x')], {
      rehearseRollback: false,
    });

    expect(preflight).toMatchObject({ ok: false, rollback: 'not_rehearsed' });
    const only = onlyShard(preflight.shards);
    expect(only.load.ok).toBe(false);
    expect(only.load.error).toContain("unknown argument 'LABLE'");
    expect(only).toMatchObject({ data: { ok: false } });
    expect(only.rollback).toBeUndefined();
  });

  it('a node that never answers: its shard fails with the wait it was given, the answering node’s stands', async () => {
    const silent = { node_uid: SILENT_NODE, plan: { ...plan, shard_uid: 12, role: 'slave' as const } };
    const preflight = await runner().run(record({ node_uid: NODE, plan }, silent), [mfver('1.1.0')], {
      rehearseRollback: true,
      timeoutMs: 2_000,
    });

    expect(preflight).toMatchObject({ ok: false, rollback: 'impossible' });
    expect(preflight.shards.find(s => s.node_uid === NODE)).toMatchObject({ load: { ok: true }, data: { ok: true } });
    expect(preflight.shards.find(s => s.node_uid === SILENT_NODE)).toMatchObject({
      shard_uid: 12,
      load: { ok: false, error: 'node 2 did not answer within 2 s' },
    });
    expect(preflight.rollback_reason).toContain('node 2 did not answer within 2 s');
  });

  it('leaves the shard alone: same process, same files, no throwaway server or copy behind', async () => {
    expect(shard.isRunning()).toBe(true);
    expect(Number((await readFile(join(shardDir, 'redis.pid'), 'utf8')).trim())).toBe(shard.pid);
    expect(await shardClient.call('MFVER.VERSION')).toBe(MFVER_VERSIONS['1.0.0'].version);
    expect(await shardClient.dbsize()).toBe(204);
    expect(await shardClient.config('GET', 'rdbcompression')).toEqual(['rdbcompression', 'yes']);
    expect((await readdir(shardDir)).sort()).toEqual(filesBefore);
    expect(await readdir(join(work, 'node-1', 'preflight'))).toEqual([]);
    expect(await redis.llen(keys.preflightRequests(NODE))).toBe(0);
  });
});
