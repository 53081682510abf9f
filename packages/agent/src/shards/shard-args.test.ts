import type { ShardPlan } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { shardArgs, splitModuleArgs } from './shard-args.js';

const plan = (extra: Partial<ShardPlan> = {}): ShardPlan => ({
  shard_uid: 3,
  bdb_uid: 2,
  role: 'master',
  port: 12000,
  memory_size: 104857600,
  data_persistence: 'disabled',
  modules: [],
  ...extra,
});

const after = (args: string[], flag: string) => args.slice(args.indexOf(flag) + 1);

describe('a shard’s redis-server command line', () => {
  it('splits module_args on whitespace as RS passes them', () => {
    expect(splitModuleArgs('  WORKERS 6   PARTITIONS AUTO ')).toEqual(['WORKERS', '6', 'PARTITIONS', 'AUTO']);
    expect(splitModuleArgs('')).toEqual([]);
  });

  it('binds the node address on the port, caps memory and loads each module with its args', () => {
    const args = shardArgs(plan(), {
      bind: '127.0.0.2',
      dir: '/d/shards/2',
      modules: [{ path: '/d/shards/2/modules/ft@10200/redisearch.so', args: 'MAXDOCTABLESIZE 1000' }],
    });
    expect(after(args, '--port')[0]).toBe('12000');
    expect(after(args, '--bind')[0]).toBe('127.0.0.2');
    expect(after(args, '--maxmemory')[0]).toBe('104857600');
    expect(after(args, '--loadmodule').slice(0, 3)).toEqual([
      '/d/shards/2/modules/ft@10200/redisearch.so',
      'MAXDOCTABLESIZE',
      '1000',
    ]);
    expect(after(args, '--appendonly')[0]).toBe('no');
    expect(args).not.toContain('--replicaof');
  });

  it('persists as asked and follows its master as a replica', () => {
    const aof = shardArgs(plan({ data_persistence: 'aof', replica_of: { host: '127.0.0.2', port: 12000 } }), {
      bind: '0.0.0.0',
      dir: '/d',
      modules: [],
    });
    expect(after(aof, '--appendonly')[0]).toBe('yes');
    expect(after(aof, '--appendfsync')[0]).toBe('always');
    expect(after(aof, '--replicaof').slice(0, 2)).toEqual(['127.0.0.2', '12000']);
    const snapshot = shardArgs(plan({ data_persistence: 'snapshot', memory_size: 0 }), {
      bind: '::',
      dir: '/d',
      modules: [],
    });
    expect(after(snapshot, '--save')[0]).toBe('60 1');
    expect(snapshot).not.toContain('--maxmemory');
  });

  it('starts a full sync at once instead of waiting 5 s for more replicas (a replica, a pre-flight copy)', () => {
    expect(
      after(shardArgs(plan(), { bind: '127.0.0.1', dir: '/d', modules: [] }), '--repl-diskless-sync-delay')[0],
    ).toBe('0');
  });
});
