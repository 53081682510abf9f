import type { ShardPlan, ShardPreflight } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import type { ShardPlacement } from '../bdb-store.js';
import { preflightShardRequests, withBorrowedRollbacks } from './preflight-plan.js';

const target = [{ module_name: 'mfver', version: 10100, module_args: '' }];
const placed = (node_uid: number, shard_uid: number, role: ShardPlan['role']): ShardPlacement => ({
  node_uid,
  plan: {
    shard_uid,
    bdb_uid: 1,
    role,
    port: 12000 + shard_uid,
    memory_size: 0,
    data_persistence: 'disabled',
    modules: [],
  },
});
const hosts = new Map([
  [1, '10.0.0.1'],
  [2, '10.0.0.2'],
]);
const answer = (node_uid: number, shard_uid: number, rollback?: ShardPreflight['rollback']): ShardPreflight => ({
  node_uid,
  shard_uid,
  role: node_uid === 1 ? 'master' : 'slave',
  load: { ok: true },
  data: { ok: true, keys: 3 },
  ...(rollback && { rollback }),
  duration_ms: 1,
});

describe('what each node is asked in a pre-flight', () => {
  it('replicated: every node copies the replica, and only the replica rehearses', () => {
    const requests = preflightShardRequests([placed(1, 1, 'master'), placed(2, 2, 'slave')], target, uid =>
      hosts.get(uid),
    );

    expect(requests.get(1)).toEqual({
      shard_uid: 1,
      target,
      rehearse: false,
      copy_from: { node_uid: 2, shard_uid: 2, host: '10.0.0.2', port: 12002 },
    });
    expect(requests.get(2)).toEqual({ shard_uid: 2, target });
  });

  it('without a replica each shard does both itself; an unknown node copies its own shard', () => {
    expect(preflightShardRequests([placed(1, 1, 'master')], target, uid => hosts.get(uid)).get(1)).toEqual({
      shard_uid: 1,
      target,
    });
    const unknown = preflightShardRequests([placed(1, 1, 'master'), placed(3, 2, 'slave')], target, uid =>
      hosts.get(uid),
    );
    expect(unknown.get(1)).toEqual({ shard_uid: 1, target, rehearse: false });
  });
});

describe('the rollback of a shard another shard rehearsed for', () => {
  const requests = preflightShardRequests([placed(1, 1, 'master'), placed(2, 2, 'slave')], target, uid =>
    hosts.get(uid),
  );

  it("is the rehearsing shard's outcome, naming it", () => {
    const words = 'mfver 1.0.0 cannot load mfvertype encoding version 2';
    const [master, replica] = withBorrowedRollbacks(
      [answer(1, 1), answer(2, 2, { possible: false, error: words })],
      requests,
    );

    expect(master!.rollback).toEqual({ possible: false, error: words, rehearsed_by: { node_uid: 2, shard_uid: 2 } });
    expect(replica!.rollback).toEqual({ possible: false, error: words });
  });

  it('stays what a node said itself (an agent that rehearsed anyway)', () => {
    const [master] = withBorrowedRollbacks(
      [answer(1, 1, { possible: true }), answer(2, 2, { possible: false })],
      requests,
    );

    expect(master!.rollback).toEqual({ possible: true });
  });
});
