import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  describeCoordinator,
  DEFAULT_TIMINGS,
  isWildcardHost,
  liveCoordinators,
  type CoordinatorPresence,
  type Logger,
  type RedisKeys,
  type ServiceTimings,
} from '@modfleet/common';
import type { Redis } from 'ioredis';

export interface PresenceHandle {
  /** The other live coordinators found at start. */
  others: CoordinatorPresence[];
  /** Base URLs of the other coordinators live on this prefix right now. */
  peers(): Promise<string[]>;
  /** Stops refreshing and removes this coordinator's entry. */
  stop(): Promise<void>;
}

/** A listening address is not always one others can reach: 0.0.0.0 becomes this host's name. */
export function advertisedCoordinatorUrl(url: string): string {
  const parsed = new URL(url);
  if (isWildcardHost(parsed.hostname)) parsed.hostname = hostname();
  return parsed.origin;
}

/**
 * Announces this coordinator under its prefix (refreshed every few seconds, forgotten after
 * PRESENCE_TTL_MS without a refresh). Several coordinators on one prefix are one cluster served
 * by all of them: each finds the others here to copy blobs to, and logs when one joins. An entry
 * with this very host and URL is a predecessor that died without cleaning up (this process holds
 * that address now) and is ignored.
 */
export async function announceCoordinator(
  redis: Redis,
  keys: RedisKeys,
  url: string,
  logger: Logger,
  timings: Pick<ServiceTimings, 'presenceTtlMs' | 'presenceRefreshMs'> = DEFAULT_TIMINGS,
): Promise<PresenceHandle> {
  const self: CoordinatorPresence = {
    id: randomUUID(),
    host: hostname(),
    pid: process.pid,
    url: advertisedCoordinatorUrl(url),
    started_at: new Date().toISOString(),
  };
  const member = JSON.stringify(self);
  const seen = new Set<string>();
  const others = async (): Promise<CoordinatorPresence[]> =>
    (await liveCoordinators(redis, keys, Date.now(), timings.presenceTtlMs)).filter(
      entry => entry.id !== self.id && !(entry.host === self.host && entry.url === self.url),
    );
  const check = async (): Promise<CoordinatorPresence[]> => {
    const live = await others();
    const fresh = live.filter(entry => !seen.has(entry.id));
    for (const entry of fresh) seen.add(entry.id);
    if (fresh.length > 0) {
      logger.info(
        { prefix: keys.prefix, peers: fresh },
        `serving prefix "${keys.prefix}" together with ${fresh.map(describeCoordinator).join('; ')}`,
      );
    }
    return live;
  };
  const refresh = async () => {
    await redis.zadd(keys.coordinators, Date.now(), member);
    await redis.pexpire(keys.coordinators, timings.presenceTtlMs * 4);
  };
  const found = await check();
  await refresh();
  const timer = setInterval(() => {
    refresh()
      .then(check)
      .catch((err: unknown) => logger.debug({ err }, 'coordinator presence refresh failed'));
  }, timings.presenceRefreshMs);
  timer.unref();
  return {
    others: found,
    async peers() {
      return (await others()).map(entry => entry.url);
    },
    async stop() {
      clearInterval(timer);
      await redis.zrem(keys.coordinators, member).catch(() => undefined);
    },
  };
}
