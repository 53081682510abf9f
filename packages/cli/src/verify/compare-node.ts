import type { FleetArtifactView, NodeInventory } from '@modfleet/common/contract';

/** One artifact the fleet expects on a node and does not find there as expected. */
export interface ArtifactProblem {
  artifact: string;
  /** sha256 the fleet expects (missing, mismatch) or the node recorded at install (corrupt). */
  expected?: string;
  /** sha256 the node holds (mismatch, extra) or its disk re-hashes to (corrupt). */
  actual?: string;
  /** Why a deep check could not read the file (corrupt with an unreadable file). */
  error?: string;
  /** The fleet has an op for this node still in flight: drift that may resolve by itself. */
  pending_action?: string;
}

export type NodeVerdict = 'ok' | 'drift' | 'unreachable';

/** An artifact whose module the node could not load when it installed it (its own record). */
export interface LoadProblem {
  artifact: string;
  status: 'failed';
  reason: string;
}

export interface NodeReport {
  uid: number;
  addr: string;
  /** What the coordinator says of the node (active/down by heartbeat). */
  fleet_status: string;
  verdict: NodeVerdict;
  /** Why the agent could not be asked (unreachable only). */
  error?: string;
  /** Artifacts the node reported holding. */
  held: number;
  /** Artifacts the fleet expects on the node. */
  expected: number;
  missing: ArtifactProblem[];
  /** Held by the node but not expected there by the fleet (local uploads, leftovers). */
  extra: ArtifactProblem[];
  mismatch: ArtifactProblem[];
  /** --deep only: bytes on disk that no longer match what was installed. */
  corrupt: ArtifactProblem[];
  /** Reported, not drift: the bytes are what the fleet says, but this node could not load them. */
  load_failed: LoadProblem[];
}

const keyOf = (a: { module_name: string; version: number }) => `${a.module_name}@${a.version}`;

/** The fleet artifacts meant for `uid`, name@version → the view entry. */
export function expectedOn(view: FleetArtifactView[], uid: number): Map<string, FleetArtifactView> {
  const expected = new Map<string, FleetArtifactView>();
  for (const artifact of view) {
    if (!artifact.in_fleet || !artifact.sha256) continue;
    if (artifact.target_nodes === 'all' || artifact.target_nodes.includes(uid)) expected.set(keyOf(artifact), artifact);
  }
  return expected;
}

/** Compares what the agent itself reports with what the fleet expects of it. */
export function compareNode(
  node: { uid: number; addr: string; status: string },
  view: FleetArtifactView[],
  inventory: NodeInventory,
): NodeReport {
  const expected = expectedOn(view, node.uid);
  const held = new Map(inventory.artifacts.map(entry => [keyOf(entry), entry]));
  const report: NodeReport = {
    uid: node.uid,
    addr: node.addr,
    fleet_status: node.status,
    verdict: 'ok',
    held: held.size,
    expected: expected.size,
    missing: [],
    extra: [],
    mismatch: [],
    corrupt: [],
    load_failed: [],
  };
  const pending = (artifact: FleetArtifactView) => {
    const cell = artifact.nodes[String(node.uid)];
    return cell?.state === 'pending' && cell.action_uid ? { pending_action: cell.action_uid } : {};
  };
  for (const [key, artifact] of expected) {
    const entry = held.get(key);
    if (!entry) report.missing.push({ artifact: key, expected: artifact.sha256!, ...pending(artifact) });
    else if (entry.sha256 !== artifact.sha256)
      report.mismatch.push({ artifact: key, expected: artifact.sha256!, actual: entry.sha256, ...pending(artifact) });
  }
  for (const [key, entry] of held) {
    if (!expected.has(key)) report.extra.push({ artifact: key, actual: entry.sha256 });
    if (entry.load_check?.status === 'failed')
      report.load_failed.push({ artifact: key, status: 'failed', reason: entry.load_check.reason });
    if (entry.disk && entry.disk.status !== 'ok') {
      report.corrupt.push({
        artifact: key,
        expected: entry.sha256,
        ...(entry.disk.sha256 && { actual: entry.disk.sha256 }),
        ...(entry.disk.error && { error: entry.disk.error }),
      });
    }
  }
  const problems = report.missing.length + report.extra.length + report.mismatch.length + report.corrupt.length;
  report.verdict = problems > 0 ? 'drift' : 'ok';
  return report;
}

export function unreachableNode(node: { uid: number; addr: string; status: string }, error: string): NodeReport {
  return {
    uid: node.uid,
    addr: node.addr,
    fleet_status: node.status,
    verdict: 'unreachable',
    error,
    held: 0,
    expected: 0,
    missing: [],
    extra: [],
    mismatch: [],
    corrupt: [],
    load_failed: [],
  };
}
