import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  describeCoordinator,
  liveCoordinators,
  PRESENCE_TTL_MS,
  type CoordinatorPresence,
  type Logger,
  type RedisKeys,
} from '@modfleet/common';
import type { Redis } from 'ioredis';

const REFRESH_MS = 5_000;

export interface PresenceHandle {
  /** The other live coordinators found at start. */
  others: CoordinatorPresence[];
  /** Stops refreshing and removes this coordinator's entry. */
  stop(): Promise<void>;
}

/**
 * Announces this coordinator under its prefix (refreshed every few seconds, forgotten after
 * PRESENCE_TTL_MS without a refresh) and warns, at start and whenever a new one appears, about any
 * other live coordinator on the same prefix: two clusters sharing a prefix on one Redis share
 * users, nodes, artifacts and queues without noticing. An entry with this very host and URL is a
 * predecessor that died without cleaning up (this process holds that address now) and is ignored.
 */
export async function announceCoordinator(
  redis: Redis,
  keys: RedisKeys,
  url: string,
  logger: Logger,
): Promise<PresenceHandle> {
  const self: CoordinatorPresence = {
    id: randomUUID(),
    host: hostname(),
    pid: process.pid,
    url,
    started_at: new Date().toISOString(),
  };
  const member = JSON.stringify(self);
  const warned = new Set<string>();
  const check = async (): Promise<CoordinatorPresence[]> => {
    const others = (await liveCoordinators(redis, keys)).filter(
      entry => entry.id !== self.id && !(entry.host === self.host && entry.url === self.url),
    );
    const fresh = others.filter(entry => !warned.has(entry.id));
    for (const entry of fresh) warned.add(entry.id);
    if (fresh.length > 0) {
      logger.warn(
        { prefix: keys.prefix, others: fresh },
        `another coordinator is live on Redis prefix "${keys.prefix}": ${fresh.map(describeCoordinator).join('; ')}. ` +
          'Both share users, nodes, artifacts and queues; give each cluster its own MODFLEET_PREFIX (--prefix)',
      );
    }
    return others;
  };
  const refresh = async () => {
    await redis.zadd(keys.coordinators, Date.now(), member);
    await redis.pexpire(keys.coordinators, PRESENCE_TTL_MS * 4);
  };
  const others = await check();
  await refresh();
  const timer = setInterval(() => {
    refresh()
      .then(check)
      .catch((err: unknown) => logger.debug({ err }, 'coordinator presence refresh failed'));
  }, REFRESH_MS);
  timer.unref();
  return {
    others,
    async stop() {
      clearInterval(timer);
      await redis.zrem(keys.coordinators, member).catch(() => undefined);
    },
  };
}
