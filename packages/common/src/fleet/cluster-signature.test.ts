import { describe, expect, it } from 'vitest';
import { bodySha256, signRequest, verifyRequestSignature } from './cluster-signature.js';

const SECRET = 'unit-cluster-secret-0123456789';
const PATH = '/internal/nodes/register';

describe('cluster request signatures', () => {
  it('name the body they were made for and a fresh nonce each time', () => {
    const body = '{"addr":"https://10.0.0.7:9443"}';
    const first = verifyRequestSignature(SECRET, 'POST', PATH, signRequest(SECRET, 'POST', PATH, body));
    const second = verifyRequestSignature(SECRET, 'POST', PATH, signRequest(SECRET, 'POST', PATH, body));

    expect(first?.bodySha256).toBe(bodySha256(body));
    expect(first?.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(second?.nonce).not.toBe(first?.nonce);
  });

  it('refuse a header whose body hash or nonce was changed, another method or path, or an old time', () => {
    const header = signRequest(SECRET, 'POST', PATH, '{}');
    const [time, nonce, sha, mac] = header.split('.') as [string, string, string, string];
    const swapped = (part: string) => part.replace(/^./, c => (c === '0' ? '1' : '0'));

    expect(verifyRequestSignature(SECRET, 'POST', PATH, `${time}.${nonce}.${bodySha256('{"x":1}')}.${mac}`)).toBe(
      undefined,
    );
    expect(verifyRequestSignature(SECRET, 'POST', PATH, `${time}.${swapped(nonce)}.${sha}.${mac}`)).toBe(undefined);
    expect(verifyRequestSignature(SECRET, 'GET', PATH, header)).toBe(undefined);
    expect(verifyRequestSignature(SECRET, 'POST', '/internal/blobs/x', header)).toBe(undefined);
    expect(verifyRequestSignature('another-secret-0123456789', 'POST', PATH, header)).toBe(undefined);
    expect(verifyRequestSignature(SECRET, 'POST', PATH, header, Number(time) + 6 * 60_000)).toBe(undefined);
    expect(verifyRequestSignature(SECRET, 'POST', PATH, header)).toBeDefined();
  });
});
