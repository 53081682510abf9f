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
 * Plans where each target pulls its pieces from, best first, origin always last.
 *
 * A pipelined chain: the first target pulls from a seeder (or the origin), every next target
 * from the one before it, each serving pieces onward as they arrive. Every host's uplink then
 * carries the artifact once, so the push takes about one transfer plus one piece time per hop,
 * whatever the fleet size; a tree with fan-out k would split each uplink k ways. If a link
 * breaks, a node falls back to the node before its upstream, then to seeders, then the origin.
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

  const plan = new Map<number, BlobSource[]>();
  chain.forEach((uid, position) => {
    const upstream = chain
      .slice(Math.max(0, position - CHAIN_FALLBACKS), position)
      .reverse()
      .filter(canServe);
    const rotated = seeders.map((_s, i) => seeders[(position + i) % seeders.length]!).slice(0, SEEDERS_PER_NODE);
    plan.set(uid, [...upstream.map(peer), ...rotated.map(peer), { id: ORIGIN_SOURCE, url: input.originUrl }]);
  });
  return plan;
}
