/**
 * Logins an outsider can send without any credentials: they must neither lock the real user out
 * nor grow Redis without bound.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { redisKeys, routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, type Credentials } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { withRedis } from '../helpers/redis.js';

/** GET with Basic credentials from a chosen local address (127.0.0.2 is another client than 127.0.0.1). */
function getAs(
  url: string,
  credentials: Credentials,
  localAddress = '127.0.0.1',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { authorization: basicAuth(credentials) } }, res => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Bytes Redis holds in the user part of the CCS under `prefix` (logins write nowhere else), and each key's TTL. */
async function prefixFootprint(prefix: string): Promise<{ bytes: number; keys: Map<string, number> }> {
  return withRedis(async redis => {
    const keys = new Map<string, number>();
    let bytes = 0;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${redisKeys(prefix).users}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of found) {
        bytes += (await redis.memory('USAGE', key)) ?? 0;
        keys.set(key, await redis.pttl(key));
      }
    } while (cursor !== '0');
    return { bytes, keys };
  });
}

async function inParallel(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe('logins sent by an outsider', () => {
  let cluster: TestCluster;
  let url: string;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 0 });
    url = `${cluster.coordinator.url}${routes.modules}`;
  });
  afterAll(() => cluster?.stop());

  it('10,000 of them grow Redis by less than 2 MiB, and every key they add expires', { timeout: 300_000 }, async () => {
    const before = await prefixFootprint(cluster.prefix);
    const longEmail = `${'x'.repeat(11_000)}@example.com`;
    await inParallel(10_000, 32, async i => {
      const credentials =
        i % 50 === 0 // unknown emails cost a password hash each: a few hundred of them
          ? { email: `nobody-${randomUUID()}@example.com`, password: 'wrong' }
          : i % 2 === 0
            ? { email: longEmail, password: 'wrong' }
            : { email: ADMIN.email, password: `wrong-${i}` };
      const res = await getAs(url, credentials, i % 3 === 0 ? '127.0.0.3' : '127.0.0.4');
      expect([401, 429, 503]).toContain(res.status);
    });
    const after = await prefixFootprint(cluster.prefix);

    expect(after.bytes - before.bytes).toBeLessThan(2 * 1024 * 1024);
    const added = [...after.keys].filter(([key]) => !before.keys.has(key));
    expect(added.filter(([, ttl]) => ttl < 0)).toEqual([]);
    expect(added.every(([key]) => key.length < 400)).toBe(true);
  });
});
