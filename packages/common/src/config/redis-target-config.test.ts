import { describe, expect, it } from 'vitest';
import { ConfigError } from '../env.js';
import { redisTargetOf } from '../redis-target.js';
import { loadServiceConfig } from './service-config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadServiceConfig('agent', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('the Redis target a service is configured with', () => {
  it('is the REDIS_URL server when neither Sentinels nor a cluster are set', () => {
    const config = loadServiceConfig('coordinator', { REDIS_URL: 'redis://r1:6380/2' });

    expect(redisTargetOf(config)).toEqual({ kind: 'standalone', url: 'redis://r1:6380/2' });
  });

  it('is the master the Sentinels name, REDIS_URL kept for credentials only', () => {
    const config = loadServiceConfig('agent', {
      REDIS_URL: 'redis://:pw@ignored:1/3',
      REDIS_SENTINELS: 's1:26379, s2:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    });

    expect(redisTargetOf(config)).toEqual({
      kind: 'sentinel',
      url: 'redis://:pw@ignored:1/3',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'mymaster',
      sentinelPassword: 'sentinel-pw',
    });
  });

  it('is a cluster whose prefix carries a hash tag: {modfleet} by default, a given tag kept', () => {
    const nodes = { REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' };

    expect(loadServiceConfig('coordinator', nodes).prefix).toBe('{modfleet}');
    expect(loadServiceConfig('coordinator', { ...nodes, MODFLEET_PREFIX: 'prod' }).prefix).toBe('{prod}');
    expect(loadServiceConfig('coordinator', { ...nodes, MODFLEET_PREFIX: 'a{b}' }).prefix).toBe('a{b}');
    expect(loadServiceConfig('coordinator', {}).prefix).toBe('modfleet');
  });

  it('refuses Sentinels without a master name, and a master name without Sentinels, naming the missing one', () => {
    expect(problemsOf({ REDIS_SENTINELS: 's1:26379' })).toEqual([
      '--redis-sentinel-master / REDIS_SENTINEL_MASTER: REDIS_SENTINELS needs REDIS_SENTINEL_MASTER, the name of the master they monitor',
    ]);
    expect(problemsOf({ REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual([
      '--redis-sentinels / REDIS_SENTINELS: REDIS_SENTINEL_MASTER needs REDIS_SENTINELS, the Sentinels to ask for it',
    ]);
  });

  it('refuses Sentinels and a cluster together, and a node list that is not host:port', () => {
    expect(problemsOf({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_CLUSTER_NODES: 'c:2' })).toEqual([
      '--redis-cluster-nodes / REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES and REDIS_SENTINELS exclude each other: Redis Cluster fails over by itself (got "c:2")',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'c1:7000,c2' })).toEqual([
      '--redis-cluster-nodes / REDIS_CLUSTER_NODES: must be a comma-separated list of host:port (got "c1:7000,c2")',
    ]);
  });

  it('never quotes the Sentinel password in an error', () => {
    expect(problemsOf({ REDIS_SENTINEL_PASSWORD: 'hunter2' }).join()).not.toContain('hunter2');
  });
});
