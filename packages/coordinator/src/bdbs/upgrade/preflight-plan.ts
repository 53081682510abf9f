import type { PreflightShardRequest, ShardModule, ShardPreflight } from '@modfleet/common';
import type { ShardPlacement } from '../bdb-store.js';

/**
 * What each shard's node is asked. A replicated database's two shards hold the same data, so
 * the replica is the one that gives it: every node copies it from the replica (never forking the
 * master the clients write to), and only the replica's node rehearses the rollback, once for the
 * database. Without a replica each shard does both itself. `hostOf` undefined (node unknown):
 * that node copies from its own shard.
 */
export function preflightShardRequests(
  placement: ShardPlacement[],
  target: ShardModule[],
  hostOf: (nodeUid: number) => string | undefined,
): Map<number, PreflightShardRequest> {
  const replica = placement.find(({ plan }) => plan.role === 'slave');
  const host = replica && hostOf(replica.node_uid);
  const requests = new Map<number, PreflightShardRequest>();
  for (const { plan } of placement) {
    const request: PreflightShardRequest = { shard_uid: plan.shard_uid, target };
    if (replica && replica.plan.shard_uid !== plan.shard_uid) {
      request.rehearse = false;
      if (host)
        request.copy_from = {
          node_uid: replica.node_uid,
          shard_uid: replica.plan.shard_uid,
          host,
          port: replica.plan.port,
        };
    }
    requests.set(plan.shard_uid, request);
  }
  return requests;
}

/**
 * The shards that did not rehearse take the outcome of the one that did for them, saying which
 * (`rehearsed_by`), so every entry answers for its rollback and none claims a rehearsal it did not run.
 */
export function withBorrowedRollbacks(
  shards: ShardPreflight[],
  requests: Map<number, PreflightShardRequest>,
): ShardPreflight[] {
  const rehearsing = shards.find(shard => requests.get(shard.shard_uid)?.rehearse !== false);
  return shards.map(shard => {
    if (shard.rollback || !rehearsing?.rollback || requests.get(shard.shard_uid)?.rehearse !== false) return shard;
    const { possible, error } = rehearsing.rollback;
    const by = { node_uid: rehearsing.node_uid, shard_uid: rehearsing.shard_uid };
    return { ...shard, rollback: { possible, ...(error !== undefined && { error }), rehearsed_by: by } };
  });
}
