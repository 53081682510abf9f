import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { defineRedisCommands } from './redis-commands.js';

const ECHO = { numberOfKeys: 1, lua: 'return KEYS[1]' };

describe('defineRedisCommands', () => {
  const connections: Redis[] = [];
  /** Never connects: defining a command only registers it on the client. */
  const connection = () => {
    const redis = new Redis({ lazyConnect: true });
    connections.push(redis);
    return redis;
  };
  afterEach(() => connections.splice(0).forEach(redis => redis.disconnect()));

  it('lets stores that share a connection define the same command again, keeping the first', () => {
    const redis = connection();
    defineRedisCommands(redis, { echoKey: ECHO });
    const defined = (redis as unknown as Record<string, unknown>).echoKey;
    defineRedisCommands(redis, { echoKey: { ...ECHO } });
    expect((redis as unknown as Record<string, unknown>).echoKey).toBe(defined);
  });

  it('refuses a second script under a taken name, and the name of an ioredis method', () => {
    const redis = connection();
    defineRedisCommands(redis, { echoKey: ECHO });
    expect(() => defineRedisCommands(redis, { echoKey: { numberOfKeys: 1, lua: 'return 0' } })).toThrow(
      'Redis command echoKey is already taken on this connection',
    );
    expect(() => defineRedisCommands(redis, { get: ECHO })).toThrow('Redis command get is already taken');
  });
});
