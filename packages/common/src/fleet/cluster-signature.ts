import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-modfleet-signature';
const MAX_SKEW_MS = 5 * 60_000;

function mac(secret: string, method: string, path: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${method.toUpperCase()}\n${path}\n${timestamp}`).digest('hex');
}

/**
 * Service-to-service requests (node registration, blob downloads) carry
 * `<unix ms>.<hmac-sha256(secret, method, path, time)>`: valid for a few minutes, for one
 * path only, and never the secret itself.
 */
export function signRequest(secret: string, method: string, path: string, now = Date.now()): string {
  return `${now}.${mac(secret, method, path, now)}`;
}

export function verifyRequestSignature(
  secret: string,
  method: string,
  path: string,
  header: string | undefined,
  now = Date.now(),
): boolean {
  const match = /^(\d{10,16})\.([0-9a-f]{64})$/.exec(header ?? '');
  if (!match?.[1] || !match[2]) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > MAX_SKEW_MS) return false;
  return timingSafeEqual(Buffer.from(match[2], 'hex'), Buffer.from(mac(secret, method, path, timestamp), 'hex'));
}
