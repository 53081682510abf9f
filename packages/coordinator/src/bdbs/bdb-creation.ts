import { randomUUID } from 'node:crypto';
import {
  artifactKey,
  ConflictError,
  isAppError,
  NotAcceptableError,
  portsOf as portsOfRanges,
  type BdbModuleEntry,
  type ModuleObject,
  type NodeInventoryStore,
  type NodeView,
  type PortRanges,
  type StateMachineObject,
} from '@modfleet/common';
import { placeBdb, type Placement, type PlacementNode } from './bdb-placement.js';
import type { BdbRequest } from './bdb-request.js';
import type { BdbRecord, BdbStore, ShardPlacement } from './bdb-store.js';

export interface BdbCreationDeps {
  store: BdbStore;
  modules: { list(): Promise<ModuleObject[]> };
  nodes: { list(): Promise<NodeView[]> };
  inventory: Pick<NodeInventoryStore, 'read'>;
  dbPorts: PortRanges;
  now?: () => number;
}

/** The Redis the nodes run (major.minor and full), the oldest when they differ. */
function nodesRedis(nodes: readonly NodeView[]): { redis_version: string; version: string } | undefined {
  const versions = nodes.flatMap(n => n.supported_database_versions.filter(v => v.db_type === 'redis'));
  const compare = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return versions.sort((a, b) => compare(a.version, b.version))[0];
}

async function placementNodes(deps: BdbCreationDeps, nodes: readonly NodeView[]): Promise<PlacementNode[]> {
  const records = await deps.store.list();
  return Promise.all(
    nodes.map(async node => {
      const hosted = records.flatMap(r => r.placement.filter(s => s.node_uid === node.uid).map(() => r.memory_size));
      return {
        uid: node.uid,
        active: node.status === 'active',
        total_memory: node.total_memory,
        used_memory: hosted.reduce((sum, bytes) => sum + bytes, 0),
        shard_count: hosted.length,
        artifacts: new Set((await deps.inventory.read(node.uid)).keys()),
      };
    }),
  );
}

function freePorts(ranges: PortRanges, used: ReadonlySet<number>, count: number, given?: number): number[] {
  const ports = given === undefined ? [] : [given];
  for (const port of portsOfRanges(ranges)) {
    if (ports.length === count) break;
    if (!used.has(port) && port !== given) ports.push(port);
  }
  if (ports.length < count) {
    throw new NotAcceptableError('insufficient_resources', 'Every port of the database port range is in use');
  }
  return ports;
}

const hostOf = (node: NodeView) => new URL(node.url).hostname.replace(/^\[|\]$/g, '');

function moduleEntries(placement: Placement): BdbModuleEntry[] {
  return placement.modules.map(({ requested, module }) => ({
    module_name: module.module_name,
    module_args: requested.module_args,
    module_id: module.uid,
    semantic_version: module.semantic_version,
  }));
}

/** Checks and places a new database, then stores it: the nodes start its shards from there. */
export async function createBdb(deps: BdbCreationDeps, request: BdbRequest): Promise<BdbRecord> {
  const now = deps.now ?? Date.now;
  const nodes = await deps.nodes.list();
  const redis = nodesRedis(nodes.filter(n => n.status === 'active'));
  if (!redis) throw new NotAcceptableError('insufficient_resources', 'No active node reports a redis-server');
  if (request.redis_version && request.redis_version !== redis.redis_version) {
    throw new NotAcceptableError(
      'invalid_version',
      `The nodes run Redis ${redis.redis_version}; redis_version ${request.redis_version} is not available`,
    );
  }
  const placement = placeBdb({
    memory_size: request.memory_size,
    replication: request.replication,
    redis_version: redis.redis_version,
    requested: request.module_list,
    installed: await deps.modules.list(),
    nodes: await placementNodes(deps, nodes),
  });
  const used = await deps.store.usedPorts();
  if (request.port !== undefined && used.has(request.port)) {
    throw new NotAcceptableError('port_unavailable', `Port ${request.port} is already used by another database`);
  }
  if (request.uid !== undefined && (await deps.store.get(request.uid))) {
    throw new ConflictError('uid_exists', `Database uid ${request.uid} already exists`);
  }
  const byUid = new Map(nodes.map(n => [n.uid, n]));
  for (let attempt = 1; ; attempt++) {
    const ports = freePorts(deps.dbPorts, await deps.store.usedPorts(), placement.nodes.length, request.port);
    const record = await buildRecord(deps, request, placement, byUid, ports, redis, now());
    try {
      if (request.uid !== undefined) await deps.store.claimUid(request.uid);
      await deps.store.create(record, createMachine(record, now()));
      return record;
    } catch (err) {
      // Two creates may pick the same free port at once: the one that lost picks again.
      const raced = isAppError(err) && err.code === 'port_unavailable' && request.port === undefined;
      if (!raced || attempt === 3) throw err;
    }
  }
}

async function buildRecord(
  deps: BdbCreationDeps,
  request: BdbRequest,
  placement: Placement,
  nodes: ReadonlyMap<number, NodeView>,
  ports: number[],
  redis: { redis_version: string; version: string },
  nowMs: number,
): Promise<BdbRecord> {
  const uid = request.uid ?? (await deps.store.nextUid());
  const shardUids = await deps.store.nextShardUids(placement.nodes.length);
  const master = nodes.get(placement.nodes[0]!)!;
  const shards: ShardPlacement[] = placement.nodes.map((nodeUid, i) => ({
    node_uid: nodeUid,
    plan: {
      shard_uid: shardUids[i]!,
      bdb_uid: uid,
      role: i === 0 ? 'master' : 'slave',
      port: ports[i]!,
      memory_size: request.memory_size,
      data_persistence: request.data_persistence,
      modules: placement.modules.map(({ requested, module }) => ({
        module_name: module.module_name,
        version: module.version,
        module_args: requested.module_args,
      })),
      ...(i > 0 && { replica_of: { host: hostOf(master), port: ports[0]! } }),
    },
  }));
  const stamp = new Date(nowMs).toISOString();
  return {
    uid,
    name: request.name,
    type: 'redis',
    status: 'pending',
    memory_size: request.memory_size,
    port: request.port ?? 0,
    endpoints: [
      {
        uid: `${uid}:1`,
        addr: [hostOf(master)],
        addr_type: 'external',
        dns_name: hostOf(master),
        port: ports[0]!,
        proxy_policy: 'single',
      },
    ],
    module_list: moduleEntries(placement),
    redis_version: redis.redis_version,
    version: redis.version,
    replication: request.replication,
    data_persistence: request.data_persistence,
    shards_count: 1,
    sharding: false,
    shards_placement: 'dense',
    shard_list: shardUids,
    created_time: stamp,
    last_changed_time: stamp,
    action_uid: randomUUID(),
    placement: shards,
  };
}

const createMachine = (record: BdbRecord, nowMs: number): StateMachineObject => ({
  action_uid: record.action_uid!,
  name: 'SMCreateBDB',
  object_name: `bdb:${record.uid}`,
  status: 'active',
  progress: 0,
  heartbeat: Math.floor(nowMs / 1000),
  creation_time: Math.floor(nowMs / 1000),
});

/** `<module_name>@<version>` of every artifact the database's shards load. */
export const artifactsOf = (record: BdbRecord): string[] =>
  record.placement[0]?.plan.modules.map(m => artifactKey(m.module_name, m.version)) ?? [];
