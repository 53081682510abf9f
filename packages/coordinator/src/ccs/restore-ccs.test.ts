import { createLogger, redisKeys } from '@modfleet/common';
import { createFakeUserStore } from '@modfleet/common/testing';
import { describe, expect, it } from 'vitest';
import { fakeStringRedis } from '../../../../test/helpers/fake-redis.js';
import { restoreCcs } from './restore-ccs.js';

const keys = redisKeys('unit');
const logger = createLogger({ name: 'test', level: 'silent' });
const admin = { email: 'admin@example.com', password: 'admin-password-1' };

describe('restoreCcs (Redis came back empty)', () => {
  it('re-creates the configured admin, writes back a generated secret, and a new marker', async () => {
    const redis = fakeStringRedis();
    const users = createFakeUserStore();
    await restoreCcs({
      redis,
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
    const redis = fakeStringRedis();
    await restoreCcs({
      redis,
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
