import { routes, type FleetArtifactView, type NodeInventory, type NodeView } from '@modfleet/common/contract';
import type { ApiClient } from '../client/api-client.js';
import { ApiError, ConnectionError } from '../client/api-errors.js';
import { compareNode, unreachableNode, type NodeReport } from './compare-node.js';

export interface VerifyReport {
  /** true only when every node answered and holds exactly what the fleet expects of it. */
  clean: boolean;
  deep: boolean;
  checked_at: string;
  coordinator: string;
  /** Artifacts the fleet tracks (pushed through the coordinator). */
  fleet_artifacts: number;
  nodes: NodeReport[];
  totals: { missing: number; extra: number; mismatch: number; corrupt: number; unreachable: number };
}

export interface VerifyOptions {
  deep: boolean;
  /** A client of one node, from its base URL (`url` in GET /v1/nodes); throws for a node it must not call. */
  agentClient: (url: string) => ApiClient;
}

function describeFailure(err: unknown): string {
  if (err instanceof ApiError) return `HTTP ${err.status} ${err.code}: ${err.message}`;
  if (err instanceof ConnectionError) return `${err.reason} (${err.url})`;
  return err instanceof Error ? err.message : String(err);
}

async function askNode(node: NodeView, view: FleetArtifactView[], options: VerifyOptions): Promise<NodeReport> {
  let client: ApiClient;
  try {
    client = options.agentClient(node.url);
  } catch (err) {
    return unreachableNode(node, describeFailure(err));
  }
  try {
    const inventory = await client.get<NodeInventory>(`${routes.localInventory}${options.deep ? '?deep=true' : ''}`);
    if (inventory.node_uid !== null && inventory.node_uid !== node.uid) {
      return unreachableNode(node, `${node.addr} answers as node ${inventory.node_uid}, not node ${node.uid}`);
    }
    return compareNode(node, view, inventory);
  } catch (err) {
    return unreachableNode(node, describeFailure(err));
  } finally {
    await client.close();
  }
}

/**
 * The fleet view (what the coordinator says every node should hold) against what every agent
 * says it holds, asked over the agent's own HTTP API, all nodes at once.
 */
export async function verifyFleet(coordinator: ApiClient, options: VerifyOptions): Promise<VerifyReport> {
  const [nodes, view] = await Promise.all([
    coordinator.get<NodeView[]>(routes.nodes),
    coordinator.get<FleetArtifactView[]>(routes.fleetArtifacts),
  ]);
  const reports = await Promise.all([...nodes].sort((a, b) => a.uid - b.uid).map(node => askNode(node, view, options)));
  const sum = (pick: (r: NodeReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
  return {
    clean: reports.every(report => report.verdict === 'ok'),
    deep: options.deep,
    checked_at: new Date().toISOString(),
    coordinator: coordinator.baseUrl,
    fleet_artifacts: view.filter(artifact => artifact.in_fleet).length,
    nodes: reports,
    totals: {
      missing: sum(r => r.missing.length),
      extra: sum(r => r.extra.length),
      mismatch: sum(r => r.mismatch.length),
      corrupt: sum(r => r.corrupt.length),
      unreachable: reports.filter(r => r.verdict === 'unreachable').length,
    },
  };
}
