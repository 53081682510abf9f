import { artifactKey, defineRedisCommands, NotAcceptableError, type RedisKeys } from '@modfleet/common';
import type { Redis, Result } from 'ioredis';

/** An artifact the fleet should hold: on every node (`nodes: 'all'`, late joiners included) or on a subset. */
export interface FleetArtifact {
  module_name: string;
  version: number;
  semantic_version: string;
  dependencies: string[];
  sha256: string;
  size: number;
  nodes: 'all' | number[];
  created_at: string;
}

export interface FleetArtifacts {
  list(): Promise<FleetArtifact[]>;
  get(moduleName: string, version: number): Promise<FleetArtifact | undefined>;
  /** Adds the artifact, or widens its target nodes; other bytes under the same name and version are refused. */
  upsert(artifact: FleetArtifact): Promise<FleetArtifact>;
  remove(moduleName: string, version: number): Promise<FleetArtifact | undefined>;
}

export function targetsNode(artifact: FleetArtifact, nodeUid: number): boolean {
  return artifact.nodes === 'all' || artifact.nodes.includes(nodeUid);
}

function widen(current: FleetArtifact['nodes'], added: FleetArtifact['nodes']): FleetArtifact['nodes'] {
  if (current === 'all' || added === 'all') return 'all';
  return [...new Set([...current, ...added])].sort((a, b) => a - b);
}

/** What an upsert stores: the new artifact, or the existing one widened; other bytes are refused. */
export function mergeFleetArtifact(existing: FleetArtifact | undefined, artifact: FleetArtifact): FleetArtifact {
  if (existing && existing.sha256 !== artifact.sha256) {
    throw new NotAcceptableError(
      'module_exists',
      `${artifact.module_name} version ${artifact.version} is already in the fleet with different content (sha256 ${existing.sha256}); delete it first or push a new version`,
    );
  }
  return existing ? { ...existing, nodes: widen(existing.nodes, artifact.nodes) } : artifact;
}

/** The order the fleet lists its artifacts in. */
export const byNameThenVersion = (a: FleetArtifact, b: FleetArtifact) =>
  a.module_name.localeCompare(b.module_name) || a.version - b.version;

const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: the field held `expected` ('' for none) and now holds `next`; 0: it changed meanwhile. */
    compareAndSetFleetArtifact(
      artifacts: string,
      field: string,
      expected: string,
      next: string,
    ): Result<number, Context>;
  }
}

export function createRedisFleetArtifacts(redis: Redis, keys: RedisKeys): FleetArtifacts {
  defineRedisCommands(redis, { compareAndSetFleetArtifact: { numberOfKeys: 1, lua: COMPARE_AND_SET } });
  const store: FleetArtifacts = {
    async list() {
      const all = (await redis.hvals(keys.fleetArtifacts)).map(json => JSON.parse(json) as FleetArtifact);
      return all.sort(byNameThenVersion);
    },
    async get(moduleName, version) {
      const json = await redis.hget(keys.fleetArtifacts, artifactKey(moduleName, version));
      return json ? (JSON.parse(json) as FleetArtifact) : undefined;
    },
    async upsert(artifact) {
      const key = artifactKey(artifact.module_name, artifact.version);
      for (;;) {
        const json = await redis.hget(keys.fleetArtifacts, key);
        const next = mergeFleetArtifact(json ? (JSON.parse(json) as FleetArtifact) : undefined, artifact);
        // Compare-and-set: a concurrent push of the same name and version makes us read again.
        if ((await redis.compareAndSetFleetArtifact(keys.fleetArtifacts, key, json ?? '', JSON.stringify(next))) === 1)
          return next;
      }
    },
    async remove(moduleName, version) {
      const existing = await store.get(moduleName, version);
      if (existing) await redis.hdel(keys.fleetArtifacts, artifactKey(moduleName, version));
      return existing;
    },
  };
  return store;
}
