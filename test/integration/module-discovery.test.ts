import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkArtifactAgainstModule,
  discoverModule,
  inspectArtifact,
  findRedisServer,
  ModuleLoadError,
  parseCommandInfo,
  ThrowawayTimeoutError,
  withThrowawayRedis,
} from '@modfleet/common';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { REDIS_SERVER, REDISEARCH_SO, writeFakeSo } from '../helpers/real-module.js';
import { freePort } from '../helpers/processes.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

/** COMMAND INFO from a redis-server that loaded RediSearch at start, independently of the code under test. */
async function commandInfoFromRedis(names: string[]) {
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--save', '', '--loadmodule', REDISEARCH_SO], {
    stdio: 'ignore',
  });
  const redis = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    for (let i = 0; i < 100; i += 1) {
      if (
        await redis.connect().then(
          () => true,
          () => false,
        )
      )
        break;
      await sleep(50);
    }
    return ((await redis.call('COMMAND', 'INFO', ...names)) as unknown[]).map(parseCommandInfo);
  } finally {
    redis.disconnect();
    child.kill('SIGKILL');
  }
}

describe('module discovery in a throwaway redis-server', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTmpDir('modfleet-discovery');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('reads RediSearch as Redis reports it: ft, 10200, commands equal to COMMAND INFO', async () => {
    const found = await discoverModule(REDISEARCH_SO, { redisServer: REDIS_SERVER, workDir: dir });

    expect(found.module_name).toBe('ft');
    expect(found.version).toBe(10200);
    const names = found.commands.map(c => c.command_name.toUpperCase());
    expect(names).toEqual(expect.arrayContaining(['FT.CREATE', 'FT.SEARCH', 'FT.ADD', 'FT.SUGADD']));
    const reference = await commandInfoFromRedis(found.commands.map(c => c.command_name));
    expect(found.commands).toEqual(reference);
    expect(found.commands.find(c => c.command_name.toUpperCase() === 'FT.CREATE')).toMatchObject({
      command_arity: -1,
      first_key: 1,
      last_key: 1,
      step: 1,
    });
  });

  it('reports the loader’s own reason for a file that is not a module', async () => {
    const fake = await writeFakeSo(dir);

    const error = await discoverModule(fake, { redisServer: REDIS_SERVER, workDir: dir }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ModuleLoadError);
    // The loader's words about the file the user named: no log prefix, no private temp path.
    expect((error as Error).message).toMatch(
      /^Module fake\.so failed to load: fake\.so: (file too short|.*invalid ELF header)$/,
    );
  });

  it('loads the module with its arguments, as RS does, and reports the module’s own complaint', async () => {
    const moduleArgs = ['EXTLOAD', `${dir}/no-such-extension.so`];

    const error = await discoverModule(REDISEARCH_SO, { redisServer: REDIS_SERVER, workDir: dir, moduleArgs }).catch(
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(ModuleLoadError);
    expect((error as Error).message).toMatch(/<ft> Could not load extension .*no-such-extension\.so/);
    expect((error as Error).message).toMatch(/Module redisearch\.so initialization failed/);
  });

  it('checks an artifact with the command_line_args of its module.json', async () => {
    const zipPath = `${dir}/args.zip`;
    const commands = (await discoverModule(REDISEARCH_SO, { redisServer: REDIS_SERVER, workDir: dir })).commands;
    const manifest = { module_name: 'ft', version: 10200, commands, dependencies: undefined };
    const so = await readFile(REDISEARCH_SO);
    await writeFile(zipPath, await buildArtifactZip({ manifest, so, soName: 'redisearch.so' }));
    const inspected = await inspectArtifact(zipPath);
    const options = { redisServer: REDIS_SERVER, workDir: dir };

    const plain = await checkArtifactAgainstModule(zipPath, inspected, options);
    const withArgs = { ...inspected, manifest: { ...inspected.manifest, command_line_args: 'EXTLOAD /no/such.so' } };
    const error = await checkArtifactAgainstModule(zipPath, withArgs, options).catch((err: unknown) => err);

    expect(plain.problems).toEqual([]);
    expect(error).toBeInstanceOf(ModuleLoadError);
    expect((error as Error).message).toMatch(/Could not load extension \/no\/such\.so/);
  });

  it('kills a session that runs past its deadline and leaves no folder behind', async () => {
    const started = Date.now();

    const error = await withThrowawayRedis(
      { redisServer: REDIS_SERVER, workDir: dir, timeoutMs: 500 },
      async server => {
        // A command that never returns stands in for a module whose load hangs.
        await server.call('BLPOP', 'never-pushed', '0');
      },
    ).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ThrowawayTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await readdir(dir)).toEqual([]);
  });

  it('bounds the server’s memory: under a 16 MiB address-space limit redis-server cannot even start', async () => {
    const error = await withThrowawayRedis(
      { redisServer: REDIS_SERVER, workDir: dir, memoryBytes: 16 * 1024 * 1024 },
      () => Promise.resolve('started'),
    ).catch((err: unknown) => err);

    expect((error as Error).message).toMatch(/redis-server exited .*(failed to map|cannot allocate|Cannot allocate)/i);
    expect(await readdir(dir)).toEqual([]);
  });

  it('finds redis-server on PATH and answers undefined where there is none', async () => {
    expect(await findRedisServer('redis-server')).toBe(REDIS_SERVER);
    expect(await findRedisServer('redis-server', dir)).toBeUndefined();
    expect(await findRedisServer(join(dir, 'redis-server'))).toBeUndefined();
  });
});
