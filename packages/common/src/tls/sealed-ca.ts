import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import type { PemPair } from './certificates.js';

const VERSION = 'v1';

const keyOf = (clusterSecret: string, salt: Buffer) => scryptSync(clusterSecret, salt, 32);

/**
 * The cluster CA (certificate and key) encrypted with a key derived from the cluster secret
 * (scrypt, AES-256-GCM), so coordinators sharing a Redis can share one CA without the key ever
 * resting there in the clear.
 */
export function sealCa(ca: PemPair, clusterSecret: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(clusterSecret, salt), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(ca), 'utf8'), cipher.final()]);
  return [VERSION, salt, iv, cipher.getAuthTag(), sealed]
    .map(part => (typeof part === 'string' ? part : part.toString('base64')))
    .join('.');
}

/** The CA sealed by `sealCa`, or undefined when it is not readable with this cluster secret. */
export function unsealCa(sealed: string, clusterSecret: string): PemPair | undefined {
  const [version, salt, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !salt || !iv || !tag || !body) return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      keyOf(clusterSecret, Buffer.from(salt, 'base64')),
      Buffer.from(iv, 'base64'),
    );
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    const ca = JSON.parse(plain) as Partial<PemPair>;
    return typeof ca.certPem === 'string' && typeof ca.keyPem === 'string'
      ? { certPem: ca.certPem, keyPem: ca.keyPem }
      : undefined;
  } catch {
    return undefined;
  }
}
