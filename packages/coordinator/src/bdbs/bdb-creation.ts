import { randomUUID } from 'node:crypto';
import {
  artifactKey,
  ConflictError,
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
import { pickedPort, portsExhausted, type BdbRecord, type BdbStore, type ShardPlacement } from './bdb-store.js';

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

/** Refuses early, before a uid is taken, when the range cannot hold the shards (the store checks again atomically). */
function ensurePortsLeft(ranges: PortRanges, used: ReadonlySet<number>, count: number): void {
  let free = 0;
  if (count === 0) return;
  for (const port of portsOfRanges(ranges)) if (!used.has(port) && ++free === count) return;
  throw portsExhausted();
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

/** The create each store is running: the next one waits for it. */
const creating = new WeakMap<BdbStore, Promise<unknown>>();

/**
 * Checks and places a new database, then stores it: the nodes start its shards from there.
 * Creates are placed one after the other (per coordinator): each must see the shards the one
 * before placed, or creates sent together would all pick the same least-loaded node.
 */
export function createBdb(deps: BdbCreationDeps, request: BdbRequest): Promise<BdbRecord> {
  const previous = creating.get(deps.store) ?? Promise.resolve();
  const created = previous.then(() => placeAndStore(deps, request));
  creating.set(
    deps.store,
    created.catch(() => undefined),
  );
  return created;
}

async function placeAndStore(deps: BdbCreationDeps, request: BdbRequest): Promise<BdbRecord> {
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
  const picked = placement.nodes.length - (request.port === undefined ? 0 : 1);
  ensurePortsLeft(deps.dbPorts, used, picked);
  if (request.uid !== undefined && (await deps.store.get(request.uid))) {
    throw new ConflictError('uid_exists', `Database uid ${request.uid} already exists`);
  }
  // The store picks the free ports inside its atomic create: concurrent creates never race for one.
  const ports = placement.nodes.map((_, i) =>
    request.port === undefined ? pickedPort(i + 1) : i === 0 ? request.port : pickedPort(i),
  );
  const record = await buildRecord(deps, request, placement, new Map(nodes.map(n => [n.uid, n])), ports, redis, now());
  if (request.uid !== undefined) await deps.store.claimUid(request.uid);
  return deps.store.create(record, createMachine(record, now()), deps.dbPorts);
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
