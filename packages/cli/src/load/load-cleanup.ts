import { pathTo, routes } from '@modfleet/common/contract';
import { pollUntil } from '@modfleet/common/poll';
import { ApiError, type ApiClient } from '../client/api-client.js';
import { isTransient } from '../client/coordinator-away.js';
import { waitForActionEnd, type Leftovers } from './load-ops.js';

export interface CleanupResult {
  /** Artifacts of this run an op did not get to delete, deleted now (those never created are not counted). */
  removed: number;
  /** Still there after the bound: verify will say where. */
  left: string[];
}

/** Runs `remove` until it succeeds, answers 404 (never created, or already gone) or the deadline passes. */
async function untilGone(remove: () => Promise<void>, deadline: number): Promise<'removed' | 'absent' | 'left'> {
  const attempt = () =>
    remove().then(
      () => 'removed' as const,
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return 'absent' as const;
        throw err;
      },
    );
  try {
    const { value } = await pollUntil(attempt, () => true, {
      intervalMs: 500,
      timeoutMs: Math.max(0, deadline - performance.now()),
      retryIf: isTransient,
    });
    return value;
  } catch {
    return 'left';
  }
}

/**
 * Deletes what ops cut short (by an error, or a kill under --chaos) left behind, so the run ends
 * with the fleet and every node as it began: fleet artifacts through the fleet, local ones on their node.
 */
export async function removeLeftovers(
  leftovers: Leftovers,
  coordinator: ApiClient,
  agents: Map<number, ApiClient>,
  timeoutMs: number,
): Promise<CleanupResult> {
  const deadline = performance.now() + timeoutMs;
  const left: string[] = [];
  let removed = 0;
  const fleet = [...leftovers.fleet].map(async name => {
    const outcome = await untilGone(async () => {
      const { action_uid } = await coordinator.delete<{ action_uid: string }>(
        pathTo(routes.fleetArtifact, { moduleName: name, version: 1 }),
      );
      await waitForActionEnd(coordinator, action_uid, Math.max(1000, deadline - performance.now()));
    }, deadline);
    if (outcome === 'removed') removed += 1;
    if (outcome === 'left') left.push(`fleet ${name}`);
  });
  const local = [...leftovers.local].map(async key => {
    const [uid, name] = key.split('/') as [string, string];
    const client = agents.get(Number(uid))!;
    const outcome = await untilGone(async () => {
      await client.delete(pathTo(routes.localArtifact, { moduleName: name, version: 1 }));
    }, deadline);
    if (outcome === 'removed') removed += 1;
    if (outcome === 'left') left.push(`node ${uid} ${name}`);
  });
  await Promise.all([...fleet, ...local]);
  return { removed, left };
}
