import { randomUUID } from 'node:crypto';
import { redisKeys } from '@modfleet/common';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key/queue prefix no other test shares. */
export function uniquePrefix(): string {
  return `test-${randomUUID()}`;
}

/** Deletes every key under the prefix (never FLUSHALL: the Redis is shared). */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', redisKeys(prefix).everyKey, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
