import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';

/**
 * The configured secret, or else one generated once and shared through Redis: every service
 * already trusts that Redis with the whole CCS, so a cluster works without extra setup.
 */
export async function resolveClusterSecret(
  redis: Redis,
  keys: RedisKeys,
  configured: string | undefined,
): Promise<string> {
  if (configured) return configured;
  await redis.set(keys.clusterSecret, randomBytes(32).toString('hex'), 'NX');
  const secret = await redis.get(keys.clusterSecret);
  if (!secret) throw new Error('could not read the cluster secret from Redis');
  return secret;
}
