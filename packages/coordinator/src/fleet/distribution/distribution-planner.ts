import {
  MAX_INLINE_PIECES,
  pathTo,
  routes,
  type ArtifactJob,
  type ArtifactOpKind,
  type NodeInventoryStore,
  type PiecePlan,
} from '@modfleet/common';
import type { NodeRegistry } from '../../nodes/node-registry.js';
import type { PieceIndexStore } from './piece-index-store.js';
import { planSources } from './source-plan.js';

/** The relay part of a node's job payload. */
export type RelayFields = Pick<ArtifactJob, 'pieces' | 'sources'>;

/** What the planner reads of an action's ops (the dispatcher's planned ops). */
export interface PlannedFetch {
  node_uid: number;
  op: ArtifactOpKind;
  sha256?: string | undefined;
}

/** Plans, for each op of an action (same order), its pieces and sources; undefined for ops fetched the plain way. */
export type DistributionPlanner = (ops: PlannedFetch[]) => Promise<(RelayFields | undefined)[]>;

/** Reads who holds what and where every node is, then plans each blob's chain with `planSources`. */
export function createDistributionPlanner(deps: {
  inventory: Pick<NodeInventoryStore, 'read'>;
  nodes: Pick<NodeRegistry, 'list'>;
  pieces: PieceIndexStore;
}): DistributionPlanner {
  const { inventory, nodes, pieces } = deps;

  async function holdersOf(nodeUids: number[]): Promise<Map<number, Set<string>>> {
    const held = await Promise.all(nodeUids.map(uid => inventory.read(uid)));
    return new Map(nodeUids.map((uid, i) => [uid, new Set(held[i]!.values())]));
  }

  return async ops => {
    const installs = ops.filter(op => op.op === 'install' && op.sha256);
    if (installs.length === 0) return [];
    const views = await nodes.list();
    const addrs = new Map(views.map(view => [view.uid, view.url]));
    const down = new Set(views.filter(view => view.status === 'down').map(view => view.uid));
    const held = await holdersOf(views.map(view => view.uid));

    const perBlob = new Map<string, Map<number, RelayFields>>();
    for (const sha256 of new Set(installs.map(op => op.sha256!))) {
      const index = await pieces.ensure(sha256);
      if (!index) continue;
      const plan: PiecePlan = {
        size: index.piece_size,
        count: index.pieces.length,
        ...(index.pieces.length <= MAX_INLINE_PIECES
          ? { hashes: index.pieces }
          : { list_url: pathTo(routes.blobPieces, { sha256 }) }),
      };
      const sources = planSources({
        sha256,
        targets: installs.filter(op => op.sha256 === sha256).map(op => op.node_uid),
        holders: [...held].filter(([, shas]) => shas.has(sha256)).map(([uid]) => uid),
        addrs,
        down,
        originUrl: pathTo(routes.blob, { sha256 }),
      });
      perBlob.set(sha256, new Map([...sources].map(([uid, list]) => [uid, { pieces: plan, sources: list }])));
    }
    return ops.map(op => (op.op === 'install' && op.sha256 ? perBlob.get(op.sha256)?.get(op.node_uid) : undefined));
  };
}
