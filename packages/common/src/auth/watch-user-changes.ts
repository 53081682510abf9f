import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import type { Authenticator } from './authenticator.js';

/**
 * Every service caches verified credentials; a change to any user, made by whichever
 * coordinator, is announced on a channel so all caches drop at once.
 * Returns the subscriber connection so `main` can close it.
 */
export async function watchUserChanges(subscriber: Redis, keys: RedisKeys, auth: Authenticator): Promise<Redis> {
  subscriber.on('message', (channel: string) => {
    if (channel === keys.usersChanged) auth.invalidate();
  });
  // A reconnect may have missed announcements: forget everything to be safe.
  subscriber.on('ready', () => auth.invalidate());
  await subscriber.subscribe(keys.usersChanged);
  return subscriber;
}
