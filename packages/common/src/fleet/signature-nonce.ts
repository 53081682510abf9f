import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import { SIGNATURE_WINDOW_MS } from './cluster-signature.js';

/**
 * Marks a signed request's nonce used; false when it was used before. The mark lives as long as
 * the signature could still be accepted, so a captured request cannot be replayed at all, and the
 * key count stays bounded by the rate of validly signed requests.
 */
export async function claimSignatureNonce(redis: Redis, keys: RedisKeys, nonce: string): Promise<boolean> {
  return (await redis.set(keys.signatureNonce(nonce), '1', 'PX', SIGNATURE_WINDOW_MS, 'NX')) === 'OK';
}
