import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';

export interface CcsCaches {
  /** Verified credentials: dropped when any user changes. */
  users: { invalidate(): void };
  /** Cluster settings: dropped when any setting changes. */
  settings: { invalidate(): void };
}

/**
 * Every service caches what it reads on each request (verified credentials, cluster settings).
 * Changes, made by whichever coordinator, are announced on Redis channels so every cache drops
 * at once; a reconnect may have missed announcements, so it drops everything too.
 */
export async function watchCcsChanges(subscriber: Redis, keys: RedisKeys, caches: CcsCaches): Promise<void> {
  subscriber.on('message', (channel: string) => {
    if (channel === keys.usersChanged) caches.users.invalidate();
    if (channel === keys.clusterChanged) caches.settings.invalidate();
  });
  subscriber.on('ready', () => {
    caches.users.invalidate();
    caches.settings.invalidate();
  });
  await subscriber.subscribe(keys.usersChanged, keys.clusterChanged);
}
