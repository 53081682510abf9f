import { mkdtemp, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { compareWithModule, discoverModule, inspectArtifact } from '@modfleet/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startedModuleRedis, startModuleRedis, type ModuleRedis } from '../helpers/module-redis.js';
import { killAllProcesses, waitUntil } from '../helpers/processes.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import {
  compileTestModule,
  MFVER_COMMANDS,
  MFVER_TYPE,
  MFVER_VERSIONS,
  testModuleManifest,
  testModulePath,
  writeTestModuleZip,
  type MfverSemver,
} from '../helpers/test-modules.js';

const SEMVERS = Object.keys(MFVER_VERSIONS) as MfverSemver[];

describe('mfver, the test module: built with gcc, loaded by Debian’s redis-server', () => {
  let work: string;
  const servers: ModuleRedis[] = [];
  const started = async (semver: MfverSemver, dir: string, args: string[] = []) => {
    const server = await startedModuleRedis({ module: await testModulePath(semver), dir, args });
    servers.push(server);
    return server;
  };
  /** Writes one mfvertype key with `writer` and SAVEs; the dir of the RDB. */
  const rdbWrittenBy = async (writer: MfverSemver, value: string) => {
    const dir = await mkdtemp(join(work, `rdb-${writer}-`));
    const server = await started(writer, dir);
    expect(await server.redis.call('MFVER.SET', 'k', value)).toBe('OK');
    await server.save();
    await server.stop();
    return dir;
  };

  beforeAll(async () => {
    work = await makeTmpDir('modfleet-test-modules');
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(server => server.stop()));
    await killAllProcesses();
  });
  afterAll(async () => {
    if (work) await removeDir(work);
  });

  it('builds into a cache named by content: two builds at once leave one loadable file', async () => {
    const cache = await mkdtemp(join(work, 'cache-'));
    const [first, second] = await Promise.all([compileTestModule('1.0.0', cache), compileTestModule('1.0.0', cache)]);

    expect(second).toBe(first);
    expect(await readdir(cache)).toEqual([basename(first)]);
    const server = await startedModuleRedis({ module: first, dir: work });
    servers.push(server);
    expect(await server.redis.call('MFVER.VERSION')).toBe(10000);
    const paths = await Promise.all(SEMVERS.map(semver => compileTestModule(semver, cache)));
    expect(new Set(paths).size).toBe(SEMVERS.length);
    expect(paths).toContain(first);
  });

  it.each(SEMVERS)('%s loads and reports its version, its module args and its data type', async semver => {
    const server = await started(semver, work, ['LABEL', 'blue sky']);

    expect(await server.redis.call('MFVER.VERSION')).toBe(MFVER_VERSIONS[semver].version);
    expect(await server.redis.call('MFVER.SEMVER')).toBe(semver);
    expect(await server.redis.call('MFVER.ARGS')).toEqual(['LABEL', 'blue sky']);
    const modules = (await server.redis.call('MODULE', 'LIST')) as unknown[][];
    expect(modules).toEqual([expect.arrayContaining(['name', 'mfver', 'ver', MFVER_VERSIONS[semver].version])]);
    expect(await server.redis.call('MFVER.SET', 'k', 'v')).toBe('OK');
    expect(await server.redis.call('MFVER.GET', 'k')).toBe('v');
    expect(await server.redis.type('k')).toBe(MFVER_TYPE);
  });

  it('refuses an argument it does not know, with its own words in the log', async () => {
    const start = await startModuleRedis({ module: await testModulePath('1.1.0'), dir: work, args: ['LABLE', 'x'] });

    expect(start.started).toBe(false);
    if (start.started) return;
    expect(start.log).toMatch(/# <mfver> mfver: unknown argument 'LABLE' \(mfver 1\.1\.0 knows: LABEL <text>\)/);
    expect(start.log).toMatch(/initialization failed\. Module not loaded/);
  });

  it('2.0.0 writes an RDB that 1.x refuses to load, with the loader’s error', async () => {
    const dir = await rdbWrittenBy('2.0.0', 'written by 2.0.0');

    for (const older of ['1.0.0', '1.1.0'] as const) {
      const start = await startModuleRedis({ module: await testModulePath(older), dir });
      expect(start.started, `${older} loaded an RDB of encoding 2`).toBe(false);
      if (start.started) continue;
      expect(start.log).toContain(
        `# <mfver> mfver ${older} cannot load mfvertype encoding version 2: it reads encoding versions up to 1`,
      );
    }
    // The refusal is about the encoding, not a damaged file: 2.0.0 itself reads it back.
    const newest = await started('2.0.0', dir);
    expect(await newest.redis.call('MFVER.GET', 'k')).toBe('written by 2.0.0');
  });

  it('an RDB of 1.0.0 loads in 1.1.0 and 2.0.0, and 1.1.0’s loads back in 1.0.0', async () => {
    const dir = await rdbWrittenBy('1.0.0', 'written by 1.0.0');
    for (const newer of ['1.1.0', '2.0.0'] as const) {
      const server = await started(newer, dir);
      expect(await server.redis.call('MFVER.GET', 'k')).toBe('written by 1.0.0');
      await server.stop();
    }

    const back = await started('1.0.0', await rdbWrittenBy('1.1.0', 'written by 1.1.0'));
    expect(await back.redis.call('MFVER.GET', 'k')).toBe('written by 1.1.0');
  });

  it('a 2.0.0 replica of a 1.0.0 master gets its data by full sync and its writes by the stream', async () => {
    const master = await started('1.0.0', await mkdtemp(join(work, 'master-')));
    await master.redis.config('SET', 'repl-diskless-sync-delay', '0');
    await master.redis.call('MFVER.SET', 'before', 'synced');
    const replica = await started('2.0.0', await mkdtemp(join(work, 'replica-')));

    await replica.redis.call('REPLICAOF', '127.0.0.1', String(master.port));
    await master.redis.call('MFVER.SET', 'after', 'streamed');
    await master.redis.call('WAIT', '1', '10000');

    expect(await replica.redis.call('MFVER.GET', 'before')).toBe('synced');
    expect(await replica.redis.call('MFVER.GET', 'after')).toBe('streamed');
  });

  it('keeps its values through an AOF rewrite without the RDB preamble and a restart', async () => {
    const dir = await mkdtemp(join(work, 'aof-'));
    const aof = { module: await testModulePath('1.1.0'), dir, serverArgs: ['--appendonly', 'yes'] };
    const first = await startedModuleRedis({ ...aof, serverArgs: [...aof.serverArgs, '--aof-use-rdb-preamble', 'no'] });
    servers.push(first);
    // A server started with appendonly may still be writing its first base file: wait before and after.
    const rewriteIdle = async () => {
      const info = await first.redis.info('persistence');
      return /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info);
    };
    await waitUntil(rewriteIdle, 'no AOF rewrite running');
    await first.redis.call('MFVER.SET', 'k', 'rewritten');
    await first.redis.bgrewriteaof();
    await waitUntil(rewriteIdle, 'the AOF rewrite ending');
    await first.stop();

    const second = await startedModuleRedis(aof);
    servers.push(second);
    expect(await second.redis.call('MFVER.GET', 'k')).toBe('rewritten');
  });

  it('packs each version as an RS module zip whose module.json matches what the module registers', async () => {
    for (const semver of SEMVERS) {
      const zip = await writeTestModuleZip(work, semver);
      const inspected = await inspectArtifact(zip);
      expect(inspected.moduleFile).toBe('mfver.so');
      expect(inspected.manifest).toMatchObject({
        module_name: 'mfver',
        version: MFVER_VERSIONS[semver].version,
        semantic_version: semver,
        min_redis_version: '7.0',
        compatible_redis_version: '7.0',
        capabilities: expect.arrayContaining(['types']) as string[],
      });
      const found = await discoverModule(await testModulePath(semver), { redisServer: 'redis-server', workDir: work });
      expect(compareWithModule(testModuleManifest(semver), found)).toEqual([]);
      expect(found.commands).toEqual(expect.arrayContaining(testModuleManifest(semver).commands as unknown[]));
      expect(found.commands).toHaveLength(MFVER_COMMANDS.length);
    }
  });
});
