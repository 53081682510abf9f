import { ORIGIN_SOURCE, pathTo, peerSourceId, routes, type BlobSource } from '@modfleet/common';

export interface SourcePlanInput {
  sha256: string;
  /** Nodes that get an install job for this blob. */
  targets: number[];
  /** Nodes outside `targets` that report holding exactly this sha256 (seeders). */
  holders: number[];
  /** Base URL of every registered node. */
  addrs: ReadonlyMap<number, string>;
  /** Nodes missing their heartbeats: never planned as a source, put last in the chain. */
  down: ReadonlySet<number>;
  /** The coordinator's path for this blob: the last resort of every node. */
  originUrl: string;
}

/** Chain predecessors a node may fall back to before seeders and the origin. */
export const CHAIN_FALLBACKS = 2;
/** Seeders listed per node (rotated so late joiners spread over them). */
export const SEEDERS_PER_NODE = 2;
/**
 * The longest chain planned; a larger fleet gets a binary tree instead. Each hop adds about one
 * piece time before the last node sees its first byte, and a downstream waiting longer than its
 * stall timeout (5 s) for that byte drops its upstream: a 500-node chain would fall back, node
 * after node, to the origin. A tree keeps the depth at log2(fleet) for twice each uplink's load.
 */
export const MAX_CHAIN_LENGTH = 64;
const TREE_FAN_OUT = 2;

/**
 * Plans where each target pulls its pieces from, best first, origin always last.
 *
 * A pipelined chain: the first target pulls from a seeder (or the origin), every next target
 * from the one before it, each serving pieces onward as they arrive. Every host's uplink then
 * carries the artifact once, so the push takes about one transfer plus one piece time per hop,
 * whatever the fleet size; a tree with fan-out k would split each uplink k ways. If a link
 * breaks, a node falls back to the node before its upstream, then to seeders, then the origin.
 * Past MAX_CHAIN_LENGTH targets the chain becomes a binary tree (fallbacks: the ancestors).
 */
export function planSources(input: SourcePlanInput): Map<number, BlobSource[]> {
  const { sha256, addrs, down } = input;
  const canServe = (uid: number) => addrs.has(uid) && !down.has(uid);
  const targets = [...new Set(input.targets)].sort((a, b) => a - b);
  const chain = [...targets.filter(canServe), ...targets.filter(uid => !canServe(uid))];
  const targetSet = new Set(targets);
  const seeders = [...new Set(input.holders)].filter(uid => !targetSet.has(uid) && canServe(uid)).sort((a, b) => a - b);
  const peer = (uid: number): BlobSource => ({
    id: peerSourceId(uid),
    url: new URL(pathTo(routes.peerBlob, { sha256 }), addrs.get(uid)).toString(),
  });

  // Position p pulls from its parent: p - 1 in a chain, (p - 1) / fan-out in the tree.
  const fanOut = chain.length > MAX_CHAIN_LENGTH ? TREE_FAN_OUT : 1;
  const parent = (position: number) => (fanOut === 1 ? position - 1 : Math.floor((position - 1) / fanOut));
  const ancestors = (position: number) => {
    const found: number[] = [];
    for (let at = position; at > 0 && found.length < CHAIN_FALLBACKS;) {
      at = parent(at);
      found.push(chain[at]!);
    }
    return found;
  };

  const plan = new Map<number, BlobSource[]>();
  chain.forEach((uid, position) => {
    const upstream = ancestors(position).filter(canServe);
    const rotated = seeders.map((_s, i) => seeders[(position + i) % seeders.length]!).slice(0, SEEDERS_PER_NODE);
    plan.set(uid, [...upstream.map(peer), ...rotated.map(peer), { id: ORIGIN_SOURCE, url: input.originUrl }]);
  });
  return plan;
}
