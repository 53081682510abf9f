import { createFakeUserStore, createLogger, redisKeys } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { restoreCcs } from './restore-ccs.js';

/** get/set NX over a Map: all restoreCcs asks of Redis. */
function fakeRedis() {
  const data = new Map<string, string>();
  return {
    data,
    get: (key: string) => Promise.resolve(data.get(key) ?? null),
    set: (key: string, value: string, nx?: string) => {
      if (nx === 'NX' && data.has(key)) return Promise.resolve(null);
      data.set(key, value);
      return Promise.resolve('OK');
    },
  };
}

const keys = redisKeys('unit');
const logger = createLogger({ name: 'test', level: 'silent' });
const admin = { email: 'admin@example.com', password: 'admin-password-1' };

describe('restoreCcs (Redis came back empty)', () => {
  it('re-creates the configured admin, writes back a generated secret, and a new marker', async () => {
    const redis = fakeRedis();
    const users = createFakeUserStore();
    await restoreCcs({
      redis: redis as unknown as Redis,
      keys,
      users,
      admin,
      clusterSecret: { value: 'generated-secret', configured: false },
      logger,
    });
    expect(await users.findByEmail(admin.email)).toMatchObject({ role: 'admin' });
    expect(redis.data.get(keys.clusterSecret)).toBe('generated-secret');
    expect(redis.data.get(keys.ccsMarker)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves a configured secret out of Redis and still re-creates the marker without an admin password', async () => {
    const redis = fakeRedis();
    await restoreCcs({
      redis: redis as unknown as Redis,
      keys,
      users: createFakeUserStore(),
      admin: { email: admin.email, password: undefined },
      clusterSecret: { value: 'configured-secret', configured: true },
      logger,
    });
    expect(redis.data.has(keys.clusterSecret)).toBe(false);
    expect(redis.data.has(keys.ccsMarker)).toBe(true);
  });
});
