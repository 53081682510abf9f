import { routes, type ActionObject, type NodeView } from '@modfleet/common/contract';
import { pollUntil } from '@modfleet/common/poll';
import type { ApiClient } from '../client/api-client.js';

export interface SettleResult {
  settled: boolean;
  waited_s: number;
  /** What was still unsettled when the bound ran out (empty when settled). */
  pending: string[];
}

async function unsettled(coordinator: ApiClient): Promise<string[]> {
  try {
    const [nodes, actions] = await Promise.all([
      coordinator.get<NodeView[]>(routes.nodes),
      coordinator.get<ActionObject[]>(`${routes.actions}?limit=1000`),
    ]);
    return [
      ...nodes.filter(node => node.status !== 'active').map(node => `node ${node.uid} is ${node.status}`),
      ...actions
        .filter(action => action.status === 'queued' || action.status === 'running')
        .map(action => `action ${action.action_uid} (${action.name}) is ${action.status}`),
    ];
  } catch (err) {
    return [`the coordinator does not answer: ${err instanceof Error ? err.message : String(err)}`];
  }
}

/**
 * Waits (bounded) until every node is active and no action is queued or running, so that a
 * verify compares a cluster at rest and not one still catching up after a crash.
 */
export async function waitForSettle(coordinator: ApiClient, timeoutMs: number): Promise<SettleResult> {
  const started = performance.now();
  const { value: pending, ended } = await pollUntil(
    () => unsettled(coordinator),
    still => still.length === 0,
    { intervalMs: 250, timeoutMs },
  );
  return {
    settled: ended,
    waited_s: Math.round(performance.now() - started) / 1000,
    pending: pending.slice(0, 10),
  };
}
