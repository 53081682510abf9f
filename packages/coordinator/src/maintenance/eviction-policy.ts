import type { Logger } from '@modfleet/common';
import type { Redis } from 'ioredis';

/** Evicting Redis keys would silently drop queued jobs and CCS objects. */
export async function warnUnlessNoEviction(redis: Redis, logger: Logger): Promise<void> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') {
      logger.warn(
        { maxmemoryPolicy: policy },
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis will evict queued jobs and cluster configuration. Set maxmemory-policy noeviction.`,
      );
    }
  } catch (err) {
    logger.warn({ err }, 'could not read Redis maxmemory-policy (CONFIG GET refused); make sure it is noeviction');
  }
}
