import { randomUUID } from 'node:crypto';
import { redisKeys } from '@modfleet/common';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key/queue prefix no other test or bench run shares: `<label>-<uuid>`. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomUUID()}`;
}

/** Runs `work` on a connection of its own to the shared Redis, closed afterwards. */
export async function withRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under the prefix with SCAN + UNLINK (never FLUSHALL: the Redis is shared); returns how many. */
export function deletePrefix(prefix: string): Promise<number> {
  return withRedis(async redis => {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', redisKeys(prefix).everyKey, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  });
}

/**
 * A fresh prefix with the two connections BullMQ work needs: one for stores, one for queues and
 * workers (no per-request retry limit). `close` deletes the prefix's keys and disconnects both.
 */
export function openQueueRedis(label: string) {
  const prefix = uniquePrefix(label);
  const redis = new Redis(REDIS_URL);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  return {
    prefix,
    keys: redisKeys(prefix),
    redis,
    connection,
    close: async () => {
      await deletePrefix(prefix);
      redis.disconnect();
      connection.disconnect();
    },
  };
}
