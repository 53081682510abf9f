import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { freePort, runProcess, waitUntil, type ModfleetProcess } from './processes.js';
import { answersPing, probeRedis } from './redis-probe.js';

/** A redis-server of a test's own that loaded a module at start, serving `dir/dbfilename`. */
export interface ModuleRedis {
  readonly port: number;
  readonly redis: Redis;
  readonly process: ModfleetProcess;
  /** SAVE, then the path of the RDB it wrote. */
  save(): Promise<string>;
  stop(): Promise<void>;
}

export type ModuleRedisStart = { started: true; server: ModuleRedis } | { started: false; log: string };

export interface ModuleRedisOptions {
  /** The module's .so, loaded with `args` by --loadmodule. */
  module: string;
  args?: string[];
  /** Where the RDB is read at start and written by SAVE. */
  dir: string;
  dbfilename?: string;
  /** More redis-server options, e.g. `['--appendonly', 'yes']` (these win over the defaults). */
  serverArgs?: string[];
}

/**
 * Starts Debian's redis-server with the module and the RDB in `dir` (if any). A server that exits
 * while starting (the module refused its args, the RDB did not load) gives back its log instead.
 */
export async function startModuleRedis(options: ModuleRedisOptions): Promise<ModuleRedisStart> {
  const port = await freePort();
  const dbfilename = options.dbfilename ?? 'dump.rdb';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dir, '--dbfilename', dbfilename];
  args.push('--save', '', '--appendonly', 'no', ...(options.serverArgs ?? []));
  args.push('--loadmodule', options.module, ...(options.args ?? []));
  const child = runProcess('redis-server', args, {}, `redis-server@${port}`);
  await waitUntil(
    async () => !child.isRunning() || (await answersPing(port)),
    `redis-server on ${port} answering or exiting`,
    15_000,
  );
  if (!child.isRunning()) {
    await child.exited;
    return { started: false, log: child.output() };
  }
  const redis = probeRedis(port);
  await redis.connect();
  const server: ModuleRedis = {
    port,
    redis,
    process: child,
    async save() {
      await redis.save();
      return join(options.dir, dbfilename);
    },
    async stop() {
      redis.disconnect();
      await child.kill();
    },
  };
  return { started: true, server };
}

/** startModuleRedis that must start: throws with the server's log otherwise. */
export async function startedModuleRedis(options: ModuleRedisOptions): Promise<ModuleRedis> {
  const start = await startModuleRedis(options);
  if (!start.started) throw new Error(`redis-server did not start with ${options.module}:\n${start.log}`);
  return start.server;
}
