import { connectRedis, createLogger, createRedis, redisTargetOf, type RedisRole } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { startSentinelSet, SENTINEL_MASTER, type SentinelSet } from '../helpers/redis-sentinel.js';

/**
 * Many connections, so that some are asking a Sentinel for the master at the moment the Sentinels
 * announce the new one: ioredis's failover detector ended a third of them for good at that moment.
 */
const CONNECTIONS_PER_ROLE = 60;

describe('Redis connections made for Sentinel, across a failover', () => {
  let set: SentinelSet;
  const connections: Redis[] = [];

  beforeAll(async () => {
    set = await startSentinelSet();
    const target = redisTargetOf({
      redisUrl: 'redis://unused.invalid:1',
      redisSentinels: set.sentinelPorts.map(port => ({ host: '127.0.0.1', port })),
      redisSentinelMaster: SENTINEL_MASTER,
    });
    const logger = createLogger({ name: 'sentinel-reconnect-test', level: 'silent' });
    const roles: RedisRole[] = ['http', 'subscriber', 'worker'];
    for (const role of roles) {
      for (let index = 0; index < CONNECTIONS_PER_ROLE; index += 1) {
        connections.push(createRedis(target, role, logger));
      }
    }
    await Promise.all(connections.map(redis => connectRedis(redis, target)));
  });
  afterAll(async () => {
    for (const redis of connections) redis.disconnect();
    await set?.stop();
  });

  it('every connection, of every role, answers on the promoted master within 30 s of the old one dying', async () => {
    await set.awaitReplicas(1);
    const old = await set.master();
    const died = Date.now();
    await set.kill(old);
    await set.awaitFailover(old);

    const answering = () =>
      Promise.all(
        connections.map(redis =>
          redis.ping().then(
            () => redis.status,
            () => redis.status,
          ),
        ),
      );
    const statuses = await pollFor(
      async () => {
        const seen = await answering();
        return { ready: seen.filter(status => status === 'ready').length, seen };
      },
      ({ ready }) => ready === connections.length,
      'every connection ready on the promoted master',
      { timeoutMs: 30_000 - (Date.now() - died), intervalMs: 200 },
    ).catch(async () => ({ ready: -1, seen: await answering() }));
    const count = (status: string) => statuses.seen.filter(seen => seen === status).length;
    expect({ ready: count('ready'), ended: count('end') }).toEqual({ ready: connections.length, ended: 0 });
    // Writes go to the promoted master, not to a stale address.
    await expect(connections[0]!.set('modfleet-test:sentinel-reconnect', '1')).resolves.toBe('OK');
  }, 90_000);
});
