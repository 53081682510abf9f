import { Redis } from 'ioredis';

/** A short-lived probe connection to a test's own redis-server: no retries, its errors are the caller's answer. */
export function probeRedis(port: number): Redis {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  return redis;
}

/** Runs `ask` on a fresh probe; `fallback` when the server does not answer. */
export async function askRedis<T>(port: number, ask: (redis: Redis) => Promise<T>, fallback: T): Promise<T> {
  const redis = probeRedis(port);
  try {
    await redis.connect();
    return await ask(redis);
  } catch {
    return fallback;
  } finally {
    redis.disconnect();
  }
}

/** A real PONG: a server still loading its AOF answers LOADING until done. */
export const answersPing = (port: number) => askRedis(port, async redis => (await redis.ping()) === 'PONG', false);
