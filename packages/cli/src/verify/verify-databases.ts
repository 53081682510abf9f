import type { ModuleObject } from '@modfleet/common';
import { pathTo, routes, type BdbObject, type NodeView, type ShardObject } from '@modfleet/common/contract';
import { Redis } from 'ioredis';
import { ApiError, type ApiClient } from '../client/api-client.js';

/** One shard verify found wrong: down, running other modules than its database says, a replica not following. */
export interface ShardProblem {
  bdb_uid: number;
  shard_uid: string;
  role: 'master' | 'slave';
  node_uid: string;
  endpoint: string;
  kind: 'shard_down' | 'module_mismatch' | 'replica_not_connected';
  detail: string;
}

export interface DatabasesReport {
  checked: number;
  shards: number;
  problems: ShardProblem[];
}

const hostOf = (node: NodeView | undefined) => (node ? new URL(node.url).hostname.replace(/^\[|\]$/g, '') : '');

/** `MODULE LIST` → `name@version` of every module the server runs. */
function modulesOf(reply: unknown): string[] {
  return (reply as unknown[][]).map(entry => {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
    return `${String(fields.get('name'))}@${String(fields.get('ver'))}`;
  });
}

async function askShard(host: string, port: number, timeoutMs: number) {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [modules, replication] = await Promise.all([client.call('MODULE', 'LIST'), client.info('replication')]);
    return { modules: modulesOf(modules), linkUp: /master_link_status:up/.test(replication) };
  } finally {
    client.disconnect();
  }
}

/**
 * Every shard of every active database, asked directly: `MODULE LIST` must show exactly the
 * modules (name and version) its database's module_list says, and a replica must follow its master.
 */
export async function verifyDatabases(coordinator: ApiClient, timeoutMs: number): Promise<DatabasesReport> {
  const [bdbs, modules, nodes] = await Promise.all([
    // A coordinator from before databases has no such route: nothing to check there.
    coordinator.get<BdbObject[]>(routes.bdbs).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    }),
    coordinator.get<ModuleObject[]>(routes.modules),
    coordinator.get<NodeView[]>(routes.nodes),
  ]);
  const versionOf = new Map(modules.map(m => [m.uid, `${m.module_name}@${m.version}`]));
  const active = bdbs.filter(bdb => bdb.status === 'active');
  const problems: ShardProblem[] = [];
  let shardCount = 0;
  for (const bdb of active) {
    const expected = bdb.module_list.map(m => versionOf.get(m.module_id) ?? `${m.module_name}@?`).sort();
    const shards = await coordinator.get<ShardObject[]>(pathTo(routes.bdbShards, { uid: bdb.uid }));
    shardCount += shards.length;
    await Promise.all(
      shards.map(async shard => {
        const host = hostOf(nodes.find(n => String(n.uid) === shard.node_uid));
        const problem = (kind: ShardProblem['kind'], detail: string) =>
          problems.push({
            bdb_uid: bdb.uid,
            shard_uid: shard.uid,
            role: shard.role,
            node_uid: shard.node_uid,
            endpoint: `${host}:${shard.port}`,
            kind,
            detail,
          });
        try {
          const answer = await askShard(host, shard.port, timeoutMs);
          const running = [...answer.modules].sort();
          if (running.join() !== expected.join()) {
            problem('module_mismatch', `runs [${running.join(', ')}], the database says [${expected.join(', ')}]`);
          }
          if (shard.role === 'slave' && !answer.linkUp)
            problem('replica_not_connected', 'master_link_status is not up');
        } catch (err) {
          problem('shard_down', err instanceof Error ? err.message : String(err));
        }
      }),
    );
  }
  return { checked: active.length, shards: shardCount, problems };
}

export function renderDatabasesReport(report: DatabasesReport): string {
  if (report.checked === 0) return '';
  if (report.problems.length === 0) {
    return `Databases: ${report.checked} active, ${report.shards} shard(s), each running the modules its database says.\n`;
  }
  const lines = report.problems.map(
    p =>
      `  bdb ${p.bdb_uid} shard ${p.shard_uid} (${p.role}, node ${p.node_uid}, ${p.endpoint}): ${p.kind}: ${p.detail}`,
  );
  return `Databases not clean:\n${lines.join('\n')}\n`;
}
