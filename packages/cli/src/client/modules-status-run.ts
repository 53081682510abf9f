import type { ModuleObject } from '@modfleet/common';
import { moduleStatusTables, routes, type BdbObject, type ModuleStatusTables } from '@modfleet/common/contract';
import type { ApiClient } from './api-client.js';
import { UsageError } from './client-context.js';

/** The databases `--db` names (by uid or name), all when it names none; an unknown one lists the valid ones. */
export function pickDatabases(bdbs: BdbObject[], refs: readonly string[]): BdbObject[] {
  if (refs.length === 0) return bdbs;
  return refs.map(ref => {
    const found = bdbs.filter(bdb => String(bdb.uid) === ref || bdb.name === ref || `db:${bdb.uid}` === ref);
    if (found.length === 1) return found[0]!;
    const valid = bdbs.map(bdb => `${bdb.uid} (${bdb.name})`).join(', ') || 'none';
    throw new UsageError(
      found.length === 0 ? 'db_not_exist' : 'ambiguous_name',
      found.length === 0
        ? `no database ${ref}; valid databases: ${valid}`
        : `${found.length} databases are named ${ref}: give the uid`,
    );
  });
}

export async function moduleStatus(
  client: ApiClient,
  options: { all?: boolean | undefined; db: readonly string[] },
): Promise<ModuleStatusTables> {
  const [modules, bdbs] = await Promise.all([
    client.get<ModuleObject[]>(routes.modules),
    client.get<BdbObject[]>(routes.bdbs),
  ]);
  const installed = modules.map(m => ({
    uid: m.uid,
    module_name: m.module_name,
    display_name: m.display_name,
    semantic_version: m.semantic_version,
    version: m.version,
    min_redis_version: m.min_redis_version ?? '',
    compatible_redis_version: m.compatible_redis_version,
  }));
  return moduleStatusTables(installed, pickDatabases(bdbs, options.db), { all: options.all === true });
}
