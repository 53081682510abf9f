import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** Whether a Redis answers PING at `url` within a short time. */
export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1500,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface PrivateRedis {
  readonly name: string;
  url: string;
  /** The running redis-server; replaced by `respawn`. */
  child: ChildProcess;
  /** Starts redis-server again on the same port and data (its AOF brings the data back). */
  respawn(): Promise<void>;
  readonly logFile: string;
}

/** A redis-server owned by `modfleet up`: data under the cluster's data dir, AOF on, no eviction. */
export async function startPrivateRedis(dataDir: string): Promise<PrivateRedis> {
  const dir = join(dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const logFile = join(dir, 'redis-server.log');
  const redis: PrivateRedis = {
    name: 'redis-server',
    url: `redis://127.0.0.1:${port}`,
    child: await runRedisServer(dir, port, logFile),
    logFile,
    async respawn() {
      redis.child = await runRedisServer(dir, port, logFile);
    },
  };
  return redis;
}

async function runRedisServer(dir: string, port: number, logFile: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--logfile',
      logFile,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (child.exitCode !== null) break;
    if (await redisAnswers(url)) return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port} (see ${logFile})`);
}
