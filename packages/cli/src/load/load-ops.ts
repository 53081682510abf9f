import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, routes, type NodeView } from '@modfleet/common/contract';
import { pollAction, PollError } from '@modfleet/common/poll';
import yazl from 'yazl';
import type { ApiClient } from '../client/api-client.js';
import { isTransient } from '../client/coordinator-away.js';
import { formatSize } from './load-options.js';
import { ActionFailed, ActionTimedOut, type LoadStats } from './load-stats.js';

/** What this run created and has not deleted yet (an op cut short by an error or a kill): removed at the end. */
export interface Leftovers {
  fleet: Set<string>;
  /** `<node uid>/<module name>` */
  local: Set<string>;
}

export interface LoadTarget {
  coordinator: ApiClient;
  nodes: NodeView[];
  agents: Map<number, ApiClient>;
  /** Where the artifacts made for this run are written (removed at the end). */
  workDir: string;
  /** Sizes of the random .so in the artifacts, taken in turn. */
  soSizes: number[];
  runId: string;
  stats: LoadStats;
  leftovers: Leftovers;
  /** How long a push or delete may take to reach `completed` or `failed`. */
  actionTimeoutMs: number;
}

/** A timed request: its latency goes to `op`'s histogram, its error (if any) to the error counts. */
async function timed<T>(stats: LoadStats, op: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    stats.record(op, performance.now() - started);
    return result;
  } catch (err) {
    stats.record(op, performance.now() - started, err);
    throw err;
  }
}

let sequence = 0;

/** A fresh RS artifact (module.json + random .so) under a name no other op of this run uses. */
async function makeArtifact(target: LoadTarget, soBytes: number): Promise<{ path: string; name: string }> {
  sequence += 1;
  const name = `Load${target.runId}n${sequence}`;
  const zip = new yazl.ZipFile();
  const manifest = {
    module_name: name,
    version: 1,
    semantic_version: '0.0.1',
    min_redis_version: '7.0',
    commands: [],
    capabilities: [],
  };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest)), 'module.json');
  zip.addBuffer(randomBytes(soBytes), `${name}.so`, { compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const path = join(target.workDir, `${name}.zip`);
  await writeFile(path, Buffer.concat(chunks));
  return { path, name };
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Every JSON GET route of both services (not /metrics: Prometheus text), taken one after the other across reads. */
function readRoutes(target: LoadTarget): { op: string; client: ApiClient; path: string }[] {
  const { coordinator } = target;
  const reads = [
    { op: 'GET /v1/nodes', client: coordinator, path: routes.nodes },
    { op: 'GET /v1/nodes/<uid>', client: coordinator, path: pathTo(routes.node, { uid: target.nodes[0]!.uid }) },
    { op: 'GET /v1/modules', client: coordinator, path: routes.modules },
    { op: 'GET /v1/cluster', client: coordinator, path: routes.cluster },
    { op: 'GET /v1/users', client: coordinator, path: routes.users },
    { op: 'GET fleet artifacts', client: coordinator, path: routes.fleetArtifacts },
    { op: 'GET /v2/actions', client: coordinator, path: `${routes.actions}?limit=20` },
    { op: 'GET /healthz coordinator', client: coordinator, path: routes.healthz },
  ];
  for (const client of target.agents.values()) {
    reads.push({ op: 'GET local artifacts', client, path: routes.localArtifacts });
    reads.push({ op: 'GET local inventory', client, path: routes.localInventory });
    reads.push({ op: 'GET /healthz agent', client, path: routes.healthz });
  }
  return reads;
}

/**
 * Waits for the action to end, `failed` thrown as ActionFailed; rides out a coordinator that is
 * away for a while (a crash, a restart) until the bound, then throws ActionTimedOut.
 */
export async function waitForActionEnd(coordinator: ApiClient, uid: string, timeoutMs: number): Promise<void> {
  const { value: action, ended } = await pollAction(coordinator, uid, {
    intervalMs: 50,
    timeoutMs,
    retryIf: isTransient,
    retryIntervalMs: 250,
  }).catch((err: unknown) => {
    if (err instanceof PollError) throw new ActionTimedOut(uid, timeoutMs);
    throw err;
  });
  if (!ended) throw new ActionTimedOut(uid, timeoutMs);
  if (action.status === 'failed') throw new ActionFailed(uid);
}

export function createOps(target: LoadTarget) {
  const reads = readRoutes(target);
  let nextRead = 0;
  let nextSize = 0;
  const { stats, leftovers, actionTimeoutMs } = target;
  /** The next size in turn, and the op names' suffix when the run mixes sizes. */
  const size = () => {
    const bytes = target.soSizes[nextSize++ % target.soSizes.length]!;
    return { bytes, suffix: target.soSizes.length > 1 ? ` ${formatSize(bytes)}` : '' };
  };
  return {
    async read(): Promise<void> {
      const route = reads[nextRead++ % reads.length]!;
      await timed(stats, route.op, () => route.client.get(route.path));
    },
    /** RS's way: upload to one node, then delete it there. */
    async local(): Promise<void> {
      const { bytes, suffix } = size();
      const artifact = await makeArtifact(target, bytes);
      const node = pick(target.nodes).uid;
      const client = target.agents.get(node)!;
      const key = `${node}/${artifact.name}`;
      // Before the request: a kill may cut it off after the node installed it.
      leftovers.local.add(key);
      await timed(stats, `local upload${suffix}`, () =>
        client.upload(routes.localArtifacts, { path: artifact.path, field: 'module' }),
      );
      await timed(stats, 'local delete', () =>
        client.delete(pathTo(routes.localArtifact, { moduleName: artifact.name, version: 1 })),
      );
      leftovers.local.delete(key);
    },
    /** The fleet's way: push to every node, wait for the action, delete from every node, wait again; the waits are timed as `… action` (completion time). */
    async push(): Promise<void> {
      const { bytes, suffix } = size();
      const artifact = await makeArtifact(target, bytes);
      leftovers.fleet.add(artifact.name);
      const { action_uid } = await timed(stats, `fleet push${suffix}`, () =>
        target.coordinator.upload<{ action_uid: string }>(routes.fleetArtifacts, {
          path: artifact.path,
          field: 'module',
        }),
      );
      await timed(stats, `fleet push action${suffix}`, () =>
        waitForActionEnd(target.coordinator, action_uid, actionTimeoutMs),
      );
      const deleted = await timed(stats, 'fleet delete', () =>
        target.coordinator.delete<{ action_uid: string }>(
          pathTo(routes.fleetArtifact, { moduleName: artifact.name, version: 1 }),
        ),
      );
      await timed(stats, 'fleet delete action', () =>
        waitForActionEnd(target.coordinator, deleted.action_uid, actionTimeoutMs),
      );
      leftovers.fleet.delete(artifact.name);
    },
  };
}
