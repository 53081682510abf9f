import { describe, expect, it, vi } from 'vitest';
import { fakeStringRedis } from '../../../../test/helpers/fake-redis.js';
import { createLogger } from '../logger.js';
import { redisKeys } from '../redis-keys.js';
import { ensureCcsMarker, watchCcsMarker } from './ccs-marker.js';

const keys = redisKeys('unit');
const logger = createLogger({ name: 'test', level: 'silent' });

describe('the CCS marker', () => {
  it('is written once: a second coordinator keeps the epoch of the first', async () => {
    const redis = fakeStringRedis();
    const first = await ensureCcsMarker(redis, keys);
    expect(await ensureCcsMarker(redis, keys)).toBe(first);
  });

  it('reports nothing before any coordinator wrote it (a fresh cluster is not a lost one)', async () => {
    const watch = watchCcsMarker(fakeStringRedis(), keys, logger);
    await watch.check();
    expect(watch.problem()).toBeUndefined();
    watch.stop();
  });

  it('reports the CCS lost once the marker it saw is gone, and whole again when a new one appears', async () => {
    const redis = fakeStringRedis();
    await ensureCcsMarker(redis, keys);
    const onLost = vi.fn();
    const onRecreated = vi.fn();
    const watch = watchCcsMarker(redis, keys, logger, { onLost, onRecreated });
    await watch.check();
    redis.data.clear();
    await watch.check();
    await watch.check();
    expect(watch.problem()).toMatch(/lost its data/);
    expect(onLost).toHaveBeenCalledTimes(1);

    const epoch = await ensureCcsMarker(redis, keys);
    await watch.check();
    expect(watch.problem()).toBeUndefined();
    expect(onRecreated).toHaveBeenCalledWith(epoch);
    watch.stop();
  });

  it('is whole again at once when its own onLost re-creates the marker (what a coordinator does)', async () => {
    const redis = fakeStringRedis();
    await ensureCcsMarker(redis, keys);
    const watch = watchCcsMarker(redis, keys, logger, {
      onLost: () => ensureCcsMarker(redis, keys).then(() => undefined),
    });
    await watch.check();
    redis.data.clear();
    await watch.check();
    expect(watch.problem()).toBeUndefined();
    watch.stop();
  });
});
