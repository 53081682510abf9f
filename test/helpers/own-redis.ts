import { mkdir, rm } from 'node:fs/promises';
import { freePort, runProcess, waitUntil, type ModfleetProcess } from './processes.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';
import { Redis } from 'ioredis';

/** A redis-server of a test's own (AOF on, in a temp dir), for tests that stop, restart or wipe it. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly process: ModfleetProcess | undefined;
  /** SIGKILL: no shutdown save, what a crash or a power cut leaves (the AOF, fsynced every second). */
  kill(): Promise<void>;
  /** Starts it again on the same port from what is in its dir; `empty` wipes the dir first (data lost). */
  start(options?: { empty?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

async function answersPing(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    // Loading the AOF answers LOADING until done: wait for a real PONG.
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await makeTmpDir('modfleet-own-redis');
  const url = `redis://127.0.0.1:${port}`;
  let current: ModfleetProcess | undefined;
  const own: OwnRedis = {
    port,
    url,
    dir,
    get process() {
      return current;
    },
    async kill() {
      await current?.kill();
      current = undefined;
    },
    async start({ empty = false } = {}) {
      if (current?.isRunning()) throw new Error('the own redis-server is already running');
      if (empty) {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
      }
      current = runProcess(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', dir, '--save', ''],
        {},
        `redis-server@${port}`,
      );
      await waitUntil(() => answersPing(url), `redis-server on ${port} answering`, 15_000);
    },
    async stop() {
      await own.kill();
      await removeDir(dir);
    },
  };
  await own.start();
  return own;
}
