// RS's `rladmin status modules`: which versions the cluster holds and which each database runs.
// This file runs in the browser too (the status page), so it imports only types.
import type { BdbObject } from './bdb-object.js';

/** The module fields `modules status` reads (a ModuleObject satisfies it). */
export interface InstalledModule {
  uid: string;
  module_name: string;
  display_name: string;
  semantic_version: string;
  version: number;
  min_redis_version: string;
  compatible_redis_version: string;
}

export interface ClusterModuleRow {
  module: string;
  module_name: string;
  version: string;
  min_redis_version: string;
  compatible_redis_version: string;
  id: string;
}

export interface DatabaseModuleRow {
  db: string;
  name: string;
  module: string;
  module_name: string;
  version: string;
  args: string;
  status: 'OK' | 'OK, OLD MODULE VERSION';
}

export interface ModuleStatusTables {
  cluster_modules: ClusterModuleRow[];
  database_modules: DatabaseModuleRow[];
}

const majorMinor = (version: string) => version.split('.').slice(0, 2).map(Number);

function atMost(version: string, limit: string): boolean {
  const [major = 0, minor = 0] = majorMinor(version);
  const [limitMajor = 0, limitMinor = 0] = majorMinor(limit);
  return major < limitMajor || (major === limitMajor && minor <= limitMinor);
}

/** RS: `compatible_redis_version` must match the database's major.minor; without one, `min_redis_version` must not exceed it. */
export function fitsRedis(
  module: Pick<InstalledModule, 'compatible_redis_version' | 'min_redis_version'>,
  redisVersion: string,
): boolean {
  if (module.compatible_redis_version) {
    return majorMinor(module.compatible_redis_version).join('.') === majorMinor(redisVersion).join('.');
  }
  return atMost(module.min_redis_version || '0.0', redisVersion);
}

/**
 * RS's `rladmin status modules` tables: CLUSTER MODULES lists the newest version of each module
 * (every version with `all`), DATABASE MODULES each database's modules, `OK, OLD MODULE VERSION`
 * when a newer version that fits the database's Redis is installed.
 */
export function moduleStatusTables(
  modules: readonly InstalledModule[],
  bdbs: readonly Pick<BdbObject, 'uid' | 'name' | 'redis_version' | 'module_list'>[],
  options: { all?: boolean } = {},
): ModuleStatusTables {
  const byName = new Map<string, InstalledModule[]>();
  for (const module of modules) byName.set(module.module_name, [...(byName.get(module.module_name) ?? []), module]);
  for (const versions of byName.values()) versions.sort((a, b) => b.version - a.version);
  const listed = [...byName.values()].flatMap(versions => (options.all ? versions : versions.slice(0, 1)));
  const cluster_modules = listed
    .sort((a, b) => a.module_name.localeCompare(b.module_name) || b.version - a.version)
    .map(m => ({
      module: m.display_name || m.module_name,
      module_name: m.module_name,
      version: m.semantic_version,
      min_redis_version: m.min_redis_version,
      compatible_redis_version: m.compatible_redis_version,
      id: m.uid,
    }));
  const database_modules = [...bdbs]
    .sort((a, b) => a.uid - b.uid)
    .flatMap(bdb =>
      bdb.module_list.map((entry): DatabaseModuleRow => {
        const installed = byName.get(entry.module_name) ?? [];
        const running = installed.find(m => m.uid === entry.module_id || m.semantic_version === entry.semantic_version);
        const newer = installed.some(
          m => fitsRedis(m, bdb.redis_version) && running !== undefined && m.version > running.version,
        );
        return {
          db: `db:${bdb.uid}`,
          name: bdb.name,
          module: running?.display_name || entry.module_name,
          module_name: entry.module_name,
          version: entry.semantic_version,
          args: entry.module_args,
          status: newer ? 'OK, OLD MODULE VERSION' : 'OK',
        };
      }),
    );
  return { cluster_modules, database_modules };
}
