/** The stores' Lua scripts (ioredis commands) when Redis has lost its script cache, as a restart or failover leaves it. */
import { createRedisLoginLockout, createRedisUserStore, LOCKOUT_DEFAULTS, redisKeys } from '@modfleet/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.js';

describe('stores sharing one connection, with their scripts flushed from Redis', () => {
  // A redis-server of its own: SCRIPT FLUSH on the shared one would fail other runs' queued MULTIs.
  let own: OwnRedis;
  let redis: Redis;
  beforeAll(async () => {
    own = await startOwnRedis();
    redis = new Redis(own.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await own?.stop();
  });

  it('keep working: a script Redis no longer has is sent again', async () => {
    const keys = redisKeys('flushed');
    const users = createRedisUserStore(redis, keys);
    const lockout = createRedisLoginLockout(redis, keys);
    await users.create({ email: 'first@example.com', password: 'first-pass-1', role: 'admin' });
    // A second store of each kind on the same connection: defined once, still works.
    createRedisUserStore(redis, keys);
    createRedisLoginLockout(redis, keys);

    await redis.script('FLUSH');
    const second = await users.create({ email: 'second@example.com', password: 'second-pass', role: 'db_viewer' });
    expect(second.email).toBe('second@example.com');
    const policy = { ...LOCKOUT_DEFAULTS, login_lockout_threshold: 1 };
    expect(await lockout.recordFailure('second@example.com', '10.0.0.1', policy)).toBe(true);
    expect(await lockout.isLocked('second@example.com', '10.0.0.1')).toBe(true);
  });
});
