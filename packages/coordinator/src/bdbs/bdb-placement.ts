import { artifactKey, fitsRedis, NotAcceptableError, type ModuleObject } from '@modfleet/common';
import type { RequestedModule } from './bdb-request.js';

/** A node as placement sees it. */
export interface PlacementNode {
  uid: number;
  active: boolean;
  /** bytes; 0 when the node did not say (no limit is checked then) */
  total_memory: number;
  /** memory_size of the shards it already hosts */
  used_memory: number;
  shard_count: number;
  /** `<module_name>@<version>` of every artifact it holds */
  artifacts: ReadonlySet<string>;
}

export interface ChosenModule {
  requested: RequestedModule;
  module: ModuleObject;
}

export interface Placement {
  /** master first, then the replica's node */
  nodes: number[];
  modules: ChosenModule[];
}

const missing = (description: string) => new NotAcceptableError('missing_module', description);

function versionsOf(entry: RequestedModule, installed: readonly ModuleObject[], redisVersion: string): ModuleObject[] {
  const named = installed.filter(m => m.module_name === entry.module_name);
  if (named.length === 0) throw missing(`Module ${entry.module_name} is not installed in the cluster`);
  const wanted = entry.semantic_version ? named.filter(m => m.semantic_version === entry.semantic_version) : named;
  if (wanted.length === 0) {
    throw missing(`Module ${entry.module_name} has no installed version ${entry.semantic_version ?? ''}`);
  }
  const fitting = wanted.filter(m => fitsRedis(m, redisVersion));
  if (fitting.length === 0) {
    const seen = wanted.map(
      m => `${m.semantic_version} (${m.compatible_redis_version || `>= ${m.min_redis_version}`})`,
    );
    throw missing(
      `No installed version of ${entry.module_name} fits Redis ${redisVersion}: installed ${seen.join(', ')}`,
    );
  }
  return fitting.sort((a, b) => b.version - a.version);
}

/**
 * Where a database's shards run and which version of each module they load: the newest installed
 * version that fits the database's Redis and whose artifact every hosting node holds; the master
 * on the least busy node, the replica on another one.
 */
export function placeBdb(input: {
  memory_size: number;
  replication: boolean;
  redis_version: string;
  requested: readonly RequestedModule[];
  installed: readonly ModuleObject[];
  nodes: readonly PlacementNode[];
}): Placement {
  const needed = input.replication ? 2 : 1;
  const active = input.nodes.filter(node => node.active);
  if (input.replication && active.length < 2) {
    throw new NotAcceptableError(
      'invalid_replication',
      `Replication needs a second active node for the replica; the cluster has ${active.length}`,
    );
  }
  const roomy = active
    .filter(n => n.total_memory === 0 || n.used_memory + input.memory_size <= n.total_memory)
    .sort((a, b) => a.shard_count - b.shard_count || a.used_memory - b.used_memory || a.uid - b.uid);
  if (roomy.length < needed) {
    throw new NotAcceptableError(
      'insufficient_resources',
      `Not enough memory: ${needed} active node(s) with ${input.memory_size} bytes free are needed, ${roomy.length} have it`,
    );
  }
  let hosts = roomy;
  const modules: ChosenModule[] = [];
  for (const requested of input.requested) {
    const candidates = versionsOf(requested, input.installed, input.redis_version);
    const chosen = candidates.find(
      m => hosts.filter(n => n.artifacts.has(artifactKey(m.module_name, m.version))).length >= needed,
    );
    if (!chosen) {
      const newest = candidates[0]!;
      throw missing(
        `Module ${requested.module_name} ${newest.semantic_version} is not on enough nodes: ` +
          `${needed} must hold it to host this database`,
      );
    }
    hosts = hosts.filter(n => n.artifacts.has(artifactKey(chosen.module_name, chosen.version)));
    modules.push({ requested, module: chosen });
  }
  return { nodes: hosts.slice(0, needed).map(n => n.uid), modules };
}
