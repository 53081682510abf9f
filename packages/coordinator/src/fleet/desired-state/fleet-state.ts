import {
  artifactKey,
  nodeOpKey,
  parseArtifactKey,
  type FleetArtifactView,
  type LoadCheck,
  type NodeArtifactView,
  type NodeOpSummary,
} from '@modfleet/common';
import type { PlannedOp } from '../dispatch/dispatcher.js';
import { targetsNode, type FleetArtifact } from './fleet-artifacts.js';

export interface FleetSnapshot {
  artifacts: FleetArtifact[];
  nodeUids: number[];
  /** node uid → `<name>@<version>` → sha256 the node reports holding */
  inventories: Map<number, Map<string, string>>;
  /** latest op per `<node>|<name>@<version>` */
  nodeOps: Map<string, NodeOpSummary>;
  /** node uid → `<name>@<version>` → the node's load check of what it holds */
  loadChecks?: Map<number, Map<string, LoadCheck>>;
}

const PENDING = new Set(['queued', 'running']);

/** The load check to show: the held artifact's, else the last install attempt's (a refused install). */
function withLoadCheck(view: NodeArtifactView, node: number, key: string, snapshot: FleetSnapshot): NodeArtifactView {
  const lastOp = snapshot.nodeOps.get(`${node}|${key}`);
  const check = view.sha256
    ? snapshot.loadChecks?.get(node)?.get(key)
    : lastOp?.op === 'install'
      ? lastOp.load_check
      : undefined;
  return check ? { ...view, load_check: check } : view;
}

function stateOnNode(artifact: FleetArtifact, node: number, snapshot: FleetSnapshot): NodeArtifactView {
  const held = snapshot.inventories.get(node)?.get(artifactKey(artifact.module_name, artifact.version));
  const lastOp = snapshot.nodeOps.get(nodeOpKey(node, artifact.module_name, artifact.version));
  const opInfo = lastOp ? { action_uid: lastOp.action_uid, ...(lastOp.error && { error: lastOp.error }) } : {};
  if (held === artifact.sha256) return { state: 'installed', sha256: held };
  // A node a subset push left out is not drift, whatever it holds: sync would not touch it either.
  if (!targetsNode(artifact, node)) return held ? { state: 'not_targeted', sha256: held } : { state: 'not_targeted' };
  if (held) return { state: 'mismatch', sha256: held, ...opInfo };
  if (lastOp && PENDING.has(lastOp.status)) return { state: 'pending', ...opInfo };
  if (lastOp?.status === 'failed' && lastOp.sha256 === artifact.sha256) return { state: 'failed', ...opInfo };
  return { state: 'missing' };
}

/** Every fleet artifact against every node, plus what nodes hold outside the fleet: drift at a glance. */
export function fleetView(snapshot: FleetSnapshot): FleetArtifactView[] {
  const views: FleetArtifactView[] = snapshot.artifacts.map(artifact => ({
    module_name: artifact.module_name,
    version: artifact.version,
    in_fleet: true,
    sha256: artifact.sha256,
    size: artifact.size,
    target_nodes: artifact.nodes,
    nodes: Object.fromEntries(
      snapshot.nodeUids.map(node => [
        String(node),
        withLoadCheck(
          stateOnNode(artifact, node, snapshot),
          node,
          artifactKey(artifact.module_name, artifact.version),
          snapshot,
        ),
      ]),
    ),
  }));
  const managed = new Set(snapshot.artifacts.map(a => artifactKey(a.module_name, a.version)));
  const unmanaged = new Map<string, FleetArtifactView>();
  for (const node of snapshot.nodeUids) {
    for (const [key, sha256] of snapshot.inventories.get(node) ?? []) {
      if (managed.has(key)) continue;
      const { module_name, version } = parseArtifactKey(key);
      const view = unmanaged.get(key) ?? {
        module_name,
        version,
        in_fleet: false,
        sha256: null,
        size: null,
        target_nodes: [],
        nodes: {},
      };
      const lastOp = snapshot.nodeOps.get(nodeOpKey(node, module_name, version));
      view.nodes[String(node)] = withLoadCheck(
        lastOp?.op === 'delete' && PENDING.has(lastOp.status)
          ? { state: 'pending', sha256, action_uid: lastOp.action_uid }
          : { state: 'installed', sha256 },
        node,
        key,
        snapshot,
      );
      unmanaged.set(key, view);
    }
  }
  return [
    ...views,
    ...[...unmanaged.values()].sort((a, b) => a.module_name.localeCompare(b.module_name) || a.version - b.version),
  ];
}

/** What `sync` does: install what a node lacks, replace what differs; nothing else is touched. */
export function planSync(snapshot: FleetSnapshot, nodes: number[] = snapshot.nodeUids): PlannedOp[] {
  const ops: PlannedOp[] = [];
  for (const node of nodes) {
    for (const artifact of snapshot.artifacts) {
      if (!targetsNode(artifact, node)) continue;
      const held = snapshot.inventories.get(node)?.get(artifactKey(artifact.module_name, artifact.version));
      if (held === artifact.sha256) continue;
      ops.push({
        node_uid: node,
        op: 'install',
        module_name: artifact.module_name,
        version: artifact.version,
        sha256: artifact.sha256,
        size: artifact.size,
        ...(held && { replace: true }),
      });
    }
  }
  return ops;
}
