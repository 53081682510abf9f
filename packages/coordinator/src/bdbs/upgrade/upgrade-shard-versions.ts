import {
  semanticFromVersion,
  shardPlanDigest,
  type BdbModuleEntry,
  type ShardModule,
  type ShardReport,
  type UpgradeModuleChange,
} from '@modfleet/common';
import type { BdbRecord } from '../bdb-store.js';
import { describeShard } from './rolling-restart.js';

/** Where an upgrade left the shards: on one side of it (`to`, `from`), or not on one version. */
export interface ShardVersions {
  /** Every shard's plan names the upgrade's target (`to`) or its starting versions (`from`); undefined: mixed. */
  side?: 'to' | 'from';
  /** The module_list the record names: the side's, or (mixed) the master's plan's. */
  moduleList: BdbModuleEntry[];
  /** What a user reads: the versions, which shards run which, and any shard not running its plan. */
  words: string;
}

const matches = (module: ShardModule | undefined, entry: BdbModuleEntry) =>
  module !== undefined &&
  semanticFromVersion(module.version) === entry.semantic_version &&
  module.module_args === entry.module_args;

function sideOf(modules: ShardModule[], changes: UpgradeModuleChange[]): 'to' | 'from' | undefined {
  const named = (name: string) => modules.find(m => m.module_name === name);
  if (changes.every(c => matches(named(c.module_name), c.to))) return 'to';
  if (changes.every(c => matches(named(c.module_name), c.from))) return 'from';
  return undefined;
}

const versionsOf = (modules: ShardModule[]) =>
  modules.map(m => `${m.module_name} ${semanticFromVersion(m.version)}`).join(', ');

/**
 * What the shards' plans (what each node is asked to run) say after an upgrade nothing will
 * finish, checked against the agents' reports: a shard whose agent does not report that plan
 * running is named, never passed off as running it.
 */
export function shardVersions(
  record: BdbRecord,
  changes: UpgradeModuleChange[],
  reports: ReadonlyMap<number, ShardReport>,
): ShardVersions {
  const sides = record.placement.map(s => sideOf(s.plan.modules, changes));
  const side = sides.every(s => s !== undefined && s === sides[0]) ? sides[0] : undefined;
  const master = record.placement.find(s => s.plan.role === 'master') ?? record.placement[0];
  const masterSide = master && sideOf(master.plan.modules, changes);
  const moduleList = (side ?? masterSide) ? changes.map(c => c[side ?? masterSide!]) : record.module_list;
  const notRunning = record.placement.flatMap(s => {
    const report = reports.get(s.plan.shard_uid);
    if (report?.state === 'running' && report.plan_digest === shardPlanDigest(s.plan)) return [];
    const said = report ? `${report.state}${report.error ? `: ${report.error}` : ''}` : 'no report';
    return [`${describeShard(s)} is not running that plan yet (its agent: ${said})`];
  });
  const where = side
    ? `every shard on ${versionsOf(record.placement[0]!.plan.modules)} (${side === 'to' ? "the upgrade's target" : 'the versions before it'})`
    : `the shards are not on one version: ${record.placement
        .map(
          s =>
            `${describeShard(s)} (${s.plan.role === 'master' ? 'master' : 'replica'}) on ${versionsOf(s.plan.modules)}`,
        )
        .join(', ')}; the database names its master's versions`;
  return { ...(side && { side }), moduleList, words: [where, ...notRunning].join('; ') };
}
