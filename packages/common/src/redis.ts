import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

export type RedisRole = 'http' | 'subscriber' | 'worker';

/**
 * HTTP-path connections fail fast when Redis is away (the client gets a 503 instead of a hung
 * request); worker connections wait forever, as BullMQ requires.
 */
export function createRedis(url: string, role: RedisRole, logger: Logger): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: role === 'subscriber' };
  const redis = new Redis(url, { ...options, connectionName: `modfleet-${role}`, lazyConnect: true });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    if (err.message !== lastError) logger.error({ err, role }, 'redis connection error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.info({ role }, 'redis connection restored');
    lastError = '';
  });
  return redis;
}

/** Connects and proves the server answers, with a message that says where it looked. */
export async function connectRedis(redis: Redis, url: string): Promise<void> {
  try {
    await redis.connect();
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    throw new Error(`Cannot reach Redis at ${redactRedisUrl(url)}: ${(cause as Error).message}`, { cause });
  }
}

/** A Redis URL with its password blanked, fit for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable REDIS_URL>';
  }
}
