import { redisKeys, type LogEvent } from '@modfleet/common';
import { createRedisEventLog } from '@modfleet/coordinator';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

// The cluster event log on the real Redis: bounded, ordered and filtered as GET /v1/logs serves it.

const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('event-log');
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

const event = (minute: number): LogEvent => ({
  time: `2026-12-07T16:${String(minute).padStart(2, '0')}:00Z`,
  type: 'module_artifact_push_started',
  severity: 'INFO',
  user: `user${minute}@test.local`,
  client_addr: '10.0.0.7',
  module_name: 'Audited',
  version: minute,
});

describe('cluster event log in Redis', () => {
  it('keeps only the newest events up to its cap and serves them oldest first, filtered and paged', async () => {
    const keys = redisKeys(prefix);
    const log = createRedisEventLog(redis, keys, 5);
    for (let minute = 1; minute <= 8; minute += 1) await log.record(event(minute));

    const all = await log.list({});
    const newest = await log.list({ order: 'desc', limit: 2 });
    const window = await log.list({ stime: '2026-12-07T16:05:00Z', etime: '2026-12-07T16:06:00Z' });

    expect(await redis.llen(keys.events)).toBe(5);
    expect(all.map(e => e.version)).toEqual([4, 5, 6, 7, 8]);
    expect(all[0]).toEqual(event(4));
    expect(newest.map(e => e.user)).toEqual(['user8@test.local', 'user7@test.local']);
    expect(window.map(e => e.version)).toEqual([5, 6]);
  });
});
