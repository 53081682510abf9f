import {
  artifactKey,
  ConflictError,
  fitsRedis,
  NotAcceptableError,
  type BdbModuleEntry,
  type BdbUpgradeRequest,
  type ModuleObject,
  type ShardModule,
  type UpgradeModuleChange,
} from '@modfleet/common';
import type { BdbRecord } from '../bdb-store.js';

/** The upgrade as the routes ask it: RS's body, and the deprecated route's `new_module` (a module uid). */
export type UpgradeAsk = Omit<BdbUpgradeRequest, 'modules'> & {
  modules?: { module_name: string; new_module_args?: string; new_module?: string }[];
};

/** What an upgrade moves each module of the database to. */
export interface UpgradeTarget {
  changes: UpgradeModuleChange[];
  /** The shards' modules now, and after. */
  from: ShardModule[];
  to: ShardModule[];
  /** Same versions and args: nothing to restart (unless force_restart). */
  unchanged: boolean;
}

const refuse = (code: string, description: string) => new NotAcceptableError(code, description);

const entryOf = (module: ModuleObject, args: string): BdbModuleEntry => ({
  module_name: module.module_name,
  module_args: args,
  module_id: module.uid,
  semantic_version: module.semantic_version,
});

/** Each hosting node's artifact keys (`<name>@<version>`). */
export type HostArtifacts = ReadonlyMap<number, ReadonlySet<string>>;

function missingOn(module: ModuleObject, hosts: HostArtifacts): number[] {
  const key = artifactKey(module.module_name, module.version);
  return [...hosts].filter(([, held]) => !held.has(key)).map(([node]) => node);
}

function newestFitting(
  record: BdbRecord,
  current: ModuleObject,
  installed: readonly ModuleObject[],
  hosts: HostArtifacts,
) {
  const fitting = installed
    .filter(m => m.module_name === current.module_name && fitsRedis(m, record.redis_version))
    .sort((a, b) => b.version - a.version);
  const newest = fitting[0] ?? current;
  const absent = missingOn(newest, hosts);
  if (absent.length > 0) {
    throw refuse(
      'missing_module',
      `Module ${newest.module_name} ${newest.semantic_version} is not on node(s) ${absent.join(', ')}, which host shards of database ${record.uid}`,
    );
  }
  return newest;
}

/** The checks RS makes before it starts SMUpgradeBDB, and the version each module moves to. */
export function upgradeTarget(
  record: BdbRecord,
  ask: UpgradeAsk,
  installed: readonly ModuleObject[],
  hosts: HostArtifacts,
): UpgradeTarget {
  if (record.status !== 'active') {
    throw new ConflictError('db_busy', `Database ${record.uid} is ${record.status}, not active`);
  }
  if (ask.redis_version !== undefined && ask.redis_version !== record.redis_version) {
    throw refuse(
      'redis_incompatible_version',
      `Database ${record.uid} runs Redis ${record.redis_version}, the only version its nodes run; ` +
        `set redis_version to it (or leave it out) to upgrade the modules alone`,
    );
  }
  for (const asked of ask.modules ?? []) {
    if (!record.module_list.some(m => m.module_name === asked.module_name)) {
      throw refuse('missing_module', `Database ${record.uid} does not load module ${asked.module_name}`);
    }
  }
  if (!record.replication && record.data_persistence === 'disabled' && !ask.may_discard_data && !ask.force_discard) {
    throw refuse(
      'data_loss',
      `Database ${record.uid} has neither replication nor persistence: its restart loses its data; ` +
        `set may_discard_data to upgrade it anyway`,
    );
  }
  const byUid = new Map(installed.map(m => [m.uid, m]));
  const rollback = ask.modfleet_rollback ? rollbackEntries(record) : undefined;
  const changes = record.module_list.map((entry): UpgradeModuleChange => {
    const current =
      byUid.get(entry.module_id) ??
      installed.find(m => m.module_name === entry.module_name && m.semantic_version === entry.semantic_version);
    if (!current)
      throw refuse('missing_module', `Module ${entry.module_name} ${entry.semantic_version} is no longer installed`);
    if (rollback) {
      const back = rollback.find(b => b.module_name === entry.module_name);
      const module = back && byUid.get(back.module_id);
      if (!back || !module)
        throw refuse(
          'missing_module',
          `Module ${entry.module_name} ${back?.semantic_version ?? ''} to roll back to is no longer installed`,
        );
      const absent = missingOn(module, hosts);
      if (absent.length > 0)
        throw refuse(
          'missing_module',
          `Module ${module.module_name} ${module.semantic_version} is not on node(s) ${absent.join(', ')}`,
        );
      return { module_name: entry.module_name, from: entry, to: entryOf(module, back.module_args) };
    }
    const asked = ask.modules?.find(m => m.module_name === entry.module_name);
    const chosen = asked?.new_module ? byUid.get(asked.new_module) : newestFitting(record, current, installed, hosts);
    if (!chosen || chosen.module_name !== entry.module_name) {
      throw refuse(
        'missing_module',
        `Module ${asked?.new_module ?? entry.module_name} is not an installed version of ${entry.module_name}`,
      );
    }
    if (chosen.version < current.version) {
      throw refuse(
        'module_downgrade_unsupported',
        `Module downgrade is not allowed: ${entry.module_name} ${current.semantic_version} to ${chosen.semantic_version}` +
          (record.last_upgrade ? ' (modfleet_rollback goes back to the versions before the last upgrade)' : ''),
      );
    }
    const absent = missingOn(chosen, hosts);
    if (absent.length > 0)
      throw refuse(
        'missing_module',
        `Module ${chosen.module_name} ${chosen.semantic_version} is not on node(s) ${absent.join(', ')}`,
      );
    return {
      module_name: entry.module_name,
      from: entry,
      to: entryOf(chosen, asked?.new_module_args ?? entry.module_args),
    };
  });
  const versionOf = (entry: BdbModuleEntry) => byUid.get(entry.module_id)?.version ?? 0;
  const shardModules = (pick: 'from' | 'to'): ShardModule[] =>
    changes.map(c => ({ module_name: c.module_name, version: versionOf(c[pick]), module_args: c[pick].module_args }));
  const to = shardModules('to');
  const from = record.placement[0]?.plan.modules ?? shardModules('from');
  return { changes, from, to, unchanged: JSON.stringify(from) === JSON.stringify(to) };
}

function rollbackEntries(record: BdbRecord): BdbModuleEntry[] {
  const last = record.last_upgrade;
  if (!last) throw refuse('rollback_unavailable', `Database ${record.uid} has no upgrade to roll back`);
  if (last.rollback === 'impossible') {
    throw refuse(
      'rollback_impossible',
      `The rehearsal of the last upgrade said the previous versions cannot read what the new ones write: ${last.rollback_reason ?? 'no reason given'}`,
    );
  }
  return last.from;
}
