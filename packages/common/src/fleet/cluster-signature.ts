import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-modfleet-signature';
const MAX_SKEW_MS = 5 * 60_000;
/** How long a signature can be accepted at most (its time may be up to MAX_SKEW_MS either side of now). */
export const SIGNATURE_WINDOW_MS = 2 * MAX_SKEW_MS;

/** sha256 (hex) of a request body; an absent body hashes as the empty one. */
export const bodySha256 = (body: string | Buffer = '') => createHash('sha256').update(body).digest('hex');

function mac(secret: string, method: string, path: string, timestamp: number, nonce: string, sha: string): string {
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${sha}`)
    .digest('hex');
}

/**
 * Service-to-service requests (node registration, blob downloads) carry
 * `<unix ms>.<nonce>.<sha256 of the body>.<hmac-sha256(secret, method, path, time, nonce, body sha256)>`:
 * valid for a few minutes, for one path and one body only, and never the secret itself. The body's
 * hash rides in the header so the signature can be checked before a byte of the body is read.
 */
export function signRequest(
  secret: string,
  method: string,
  path: string,
  body: string | Buffer = '',
  now = Date.now(),
): string {
  const nonce = randomBytes(16).toString('hex');
  const sha = bodySha256(body);
  return `${now}.${nonce}.${sha}.${mac(secret, method, path, now, nonce, sha)}`;
}

export interface VerifiedSignature {
  timestamp: number;
  /** Unique per signed request: a route that changes state accepts it once (see claimSignatureNonce). */
  nonce: string;
  /** What the body must hash to; the route compares it once the body is read. */
  bodySha256: string;
}

/** The signature's parts when it is valid for `method` and `path` now; undefined otherwise. */
export function verifyRequestSignature(
  secret: string,
  method: string,
  path: string,
  header: string | undefined,
  now = Date.now(),
): VerifiedSignature | undefined {
  const match = /^(\d{10,16})\.([0-9a-f]{32})\.([0-9a-f]{64})\.([0-9a-f]{64})$/.exec(header ?? '');
  if (!match?.[1] || !match[2] || !match[3] || !match[4]) return undefined;
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > MAX_SKEW_MS) return undefined;
  const expected = mac(secret, method, path, timestamp, match[2], match[3]);
  if (!timingSafeEqual(Buffer.from(match[4], 'hex'), Buffer.from(expected, 'hex'))) return undefined;
  return { timestamp, nonce: match[2], bodySha256: match[3] };
}
