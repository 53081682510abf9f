import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, routes, type ActionObject, type NodeView } from '@modfleet/common';
import yazl from 'yazl';
import type { ApiClient } from '../client/api-client.js';
import { ActionFailed, type LoadStats } from './load-stats.js';

export interface LoadTarget {
  coordinator: ApiClient;
  nodes: NodeView[];
  agents: Map<number, ApiClient>;
  /** Where the artifacts made for this run are written (removed at the end). */
  workDir: string;
  /** Size of the random .so in every artifact. */
  soBytes: number;
  runId: string;
  stats: LoadStats;
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
async function makeArtifact(target: LoadTarget): Promise<{ path: string; name: string }> {
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
  zip.addBuffer(randomBytes(target.soBytes), `${name}.so`, { compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const path = join(target.workDir, `${name}.zip`);
  await writeFile(path, Buffer.concat(chunks));
  return { path, name };
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** The routes a `read` goes through, one after the other across reads. */
function readRoutes(target: LoadTarget): { op: string; client: ApiClient; path: string }[] {
  const reads = [
    { op: 'GET /v1/nodes', client: target.coordinator, path: routes.nodes },
    { op: 'GET /v1/modules', client: target.coordinator, path: routes.modules },
    { op: 'GET /v1/cluster', client: target.coordinator, path: routes.cluster },
    { op: 'GET fleet artifacts', client: target.coordinator, path: routes.fleetArtifacts },
    { op: 'GET /v2/actions', client: target.coordinator, path: `${routes.actions}?limit=20` },
  ];
  for (const client of target.agents.values()) {
    reads.push({ op: 'GET local artifacts', client, path: routes.localArtifacts });
    reads.push({ op: 'GET local inventory', client, path: routes.localInventory });
  }
  return reads;
}

async function waitForAction(target: LoadTarget, uid: string): Promise<void> {
  for (;;) {
    const action = await target.coordinator.get<ActionObject>(pathTo(routes.action, { uid }));
    if (action.status === 'completed' || action.status === 'failed') {
      if (action.status === 'failed') throw new ActionFailed(uid);
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

export function createOps(target: LoadTarget) {
  const reads = readRoutes(target);
  let nextRead = 0;
  const { stats } = target;
  return {
    async read(): Promise<void> {
      const route = reads[nextRead++ % reads.length]!;
      await timed(stats, route.op, () => route.client.get(route.path));
    },
    /** RS's way: upload to one node, then delete it there. */
    async local(): Promise<void> {
      const artifact = await makeArtifact(target);
      const client = target.agents.get(pick(target.nodes).uid)!;
      await timed(stats, 'local upload', () =>
        client.upload(routes.localArtifacts, { path: artifact.path, field: 'module' }),
      );
      await timed(stats, 'local delete', () =>
        client.delete(pathTo(routes.localArtifact, { moduleName: artifact.name, version: 1 })),
      );
    },
    /** The fleet's way: push to every node, wait for the action, delete from every node, wait again; the waits are timed as `… action` (completion time). */
    async push(): Promise<void> {
      const artifact = await makeArtifact(target);
      const { action_uid } = await timed(stats, 'fleet push', () =>
        target.coordinator.upload<{ action_uid: string }>(routes.fleetArtifacts, {
          path: artifact.path,
          field: 'module',
        }),
      );
      await timed(stats, 'fleet push action', () => waitForAction(target, action_uid));
      const deleted = await timed(stats, 'fleet delete', () =>
        target.coordinator.delete<{ action_uid: string }>(
          pathTo(routes.fleetArtifact, { moduleName: artifact.name, version: 1 }),
        ),
      );
      await timed(stats, 'fleet delete action', () => waitForAction(target, deleted.action_uid));
    },
  };
}
