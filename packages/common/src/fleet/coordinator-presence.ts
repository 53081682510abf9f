import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import { DEFAULT_TIMINGS } from '../timings/service-timings.js';

/** A coordinator's entry counts as live this long after its last refresh. */
export const PRESENCE_TTL_MS = DEFAULT_TIMINGS.presenceTtlMs;

/** Who a coordinator is, as the others on its prefix see it. */
export interface CoordinatorPresence {
  id: string;
  host: string;
  pid: number;
  url: string;
  started_at: string;
}

function parse(member: string): CoordinatorPresence | undefined {
  try {
    return JSON.parse(member) as CoordinatorPresence;
  } catch {
    return undefined;
  }
}

/** The coordinators that refreshed their presence under this prefix within the last PRESENCE_TTL_MS. */
export async function liveCoordinators(
  redis: Redis,
  keys: RedisKeys,
  now = Date.now(),
  ttlMs = PRESENCE_TTL_MS,
): Promise<CoordinatorPresence[]> {
  await redis.zremrangebyscore(keys.coordinators, '-inf', `(${now - ttlMs}`);
  const members = await redis.zrangebyscore(keys.coordinators, now - ttlMs, '+inf');
  return members.map(parse).filter(entry => entry !== undefined);
}

/** `pid 123 on host-a (http://127.0.0.1:9443, up since …)` */
export function describeCoordinator(entry: CoordinatorPresence): string {
  return `pid ${entry.pid} on ${entry.host} (${entry.url}, up since ${entry.started_at})`;
}
