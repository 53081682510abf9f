import type { NodeView } from '@modfleet/common';
import type { BdbStore } from '../bdbs/bdb-store.js';

/**
 * RS's `shard_count` and `shard_list` of each node: the uids of the shards the databases place on
 * it (the same placements that make removing the node answer 409), in uid order.
 */
export async function withShards(nodes: NodeView[], bdbs: Pick<BdbStore, 'list'> | undefined): Promise<NodeView[]> {
  if (!bdbs) return nodes;
  const byNode = new Map<number, number[]>();
  for (const record of await bdbs.list()) {
    for (const { node_uid, plan } of record.placement) {
      byNode.set(node_uid, [...(byNode.get(node_uid) ?? []), plan.shard_uid]);
    }
  }
  return nodes.map(node => {
    const shards = (byNode.get(node.uid) ?? []).sort((a, b) => a - b);
    return { ...node, shard_count: shards.length, shard_list: shards };
  });
}
