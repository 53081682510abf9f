import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, routes, type BdbObject, type ShardObject } from '@modfleet/common';
import { Redis } from 'ioredis';
import { buildArtifactZip } from './artifact-zip.js';
import type { FleetCluster } from './fleet-cluster.js';
import { api, type Credentials } from './http.js';
import { pollFor } from './poll.js';
import { freePortRange } from './processes.js';
import { REDISEARCH_SO } from './real-module.js';

/** A private slice of ports for one test cluster's databases (MODFLEET_DB_PORTS), so clusters never collide. */
export async function privateDbPorts(count = 10): Promise<string> {
  const low = await freePortRange(count);
  return `${low}-${low + count - 1}`;
}

/** Debian's RediSearch as modfleet packs it: module `ft`, version 10200. */
export const REDISEARCH_MANIFEST = {
  module_name: 'ft',
  display_name: 'RediSearch',
  version: 10200,
  semantic_version: '1.2.0',
  min_redis_version: '7.0',
  command_line_args: '',
  capabilities: [],
  commands: [],
};

/** Pushes RediSearch to every node and creates its CCS module object, as an RS admin would. */
export async function installRediSearch(cluster: FleetCluster): Promise<void> {
  const zip = await buildArtifactZip({
    manifest: REDISEARCH_MANIFEST,
    so: await readFile(REDISEARCH_SO),
    soName: 'redisearch.so',
  });
  const pushed = await cluster.push(zip);
  if (!pushed.body.action_uid) throw new Error(`push refused: ${JSON.stringify(pushed.body)}`);
  const action = await cluster.waitForAction(pushed.body.action_uid, { timeoutMs: 30_000 });
  if (action.status !== 'completed') throw new Error(`push ended ${action.status}`);
  const created = await cluster.api(routes.userDefinedModules, { method: 'POST', json: REDISEARCH_MANIFEST });
  if (created.status !== 200) throw new Error(`module object: ${created.status} ${JSON.stringify(created.body)}`);
}

/** Polls GET /v1/bdbs/<uid> at `base` until the status is no longer `from`. */
export async function waitForBdbStatus(
  base: string,
  credentials: Credentials,
  uid: number,
  from: string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<BdbObject> {
  const res = await pollFor(
    () => api<BdbObject>(`${base}${pathTo(routes.bdb, { uid })}`, { credentials }),
    r => r.status !== 200 || r.body.status !== from,
    `bdb ${uid} to leave ${from}`,
    { timeoutMs, intervalMs },
  );
  return res.body;
}

export async function shardsOf(base: string, credentials: Credentials, uid: number): Promise<ShardObject[]> {
  return (await api<ShardObject[]>(`${base}${pathTo(routes.bdbShards, { uid })}`, { credentials })).body;
}

/** A client for one endpoint that fails fast instead of retrying for ever. */
export const endpointClient = (host: string, port: number) =>
  new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });

/** SIGKILLs every shard redis-server the agents' data dirs name: a test's cleanup after SIGKILLed agents. */
/** One INFO section of the redis-server at `port` as name → value. */
export async function shardInfo(port: number, section: string): Promise<Record<string, string>> {
  const client = endpointClient('127.0.0.1', port);
  try {
    await client.connect();
    const text = String(await client.call('INFO', section));
    const fields = text.split('\r\n').filter(line => line.includes(':') && !line.startsWith('#'));
    return Object.fromEntries(
      fields.map(line => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
    );
  } finally {
    client.disconnect();
  }
}

export async function killShardsOf(dataDirs: string[]): Promise<void> {
  for (const dir of dataDirs) {
    const shards = join(dir, 'shards');
    for (const name of await readdir(shards).catch(() => [] as string[])) {
      const pid = Number((await readFile(join(shards, name, 'redis.pid'), 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}
