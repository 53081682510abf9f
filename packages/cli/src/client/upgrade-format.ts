import type {
  BdbObject,
  StateMachineObject,
  UpgradeDryRunAnswer,
  UpgradeModuleChange,
  UpgradePreflight,
} from '@modfleet/common/contract';
import { renderTable } from './output.js';

type StateEntry = NonNullable<StateMachineObject['states']>[number];

export const dbLabel = (bdb: Pick<BdbObject, 'uid' | 'name'>) => `db:${bdb.uid} (${bdb.name})`;

/** rladmin's line for one state: `active - SMUpgradeBDB restart`, `completed - SMUpgradeBDB`; modfleet adds the detail. */
export function stateLine(machine: Pick<StateMachineObject, 'name'>, entry: StateEntry): string {
  const ended = entry.state === 'completed' || entry.state === 'failed';
  const head = ended ? `${entry.state} - ${machine.name}` : `active - ${machine.name} ${entry.state}`;
  return entry.detail ? `${head}: ${entry.detail}` : head;
}

/** The lines for the states the machine passed since `shown` of them were printed. */
export function newStateLines(machine: StateMachineObject, shown: number): string[] {
  return (machine.states ?? []).slice(shown).map(entry => stateLine(machine, entry));
}

const quoted = (args: string) => (args ? `"${args}"` : '(none)');

/** `  mfver 1.0.0 -> 1.1.0, args kept: "X"` or `..., args "X" -> "Y"` (`(none)`: no args). */
export function renderModuleChanges(changes: readonly UpgradeModuleChange[]): string {
  if (changes.length === 0) return '  no module changes\n';
  return changes
    .map(({ module_name, from, to }) => {
      const args =
        from.module_args === to.module_args
          ? `args kept: ${quoted(to.module_args)}`
          : `args ${quoted(from.module_args)} -> ${quoted(to.module_args)}`;
      return `  ${module_name} ${from.semantic_version} -> ${to.semantic_version}, ${args}\n`;
    })
    .join('');
}

export function rollbackVerdictLine(preflight: Pick<UpgradePreflight, 'rollback' | 'rollback_reason'>): string {
  switch (preflight.rollback) {
    case 'possible':
      return 'Rollback: possible (the current version reads what the new one writes)';
    case 'impossible':
      return `Rollback: impossible (the current version cannot read what the new one writes: ${preflight.rollback_reason ?? 'no reason given'})`;
    default:
      return 'Rollback: not rehearsed';
  }
}

type ShardEntry = UpgradePreflight['shards'][number];

/** ` (203 keys, from shard 12)`: how many keys loaded, and the replica the copy came from. */
function dataNote(data: ShardEntry['data']): string {
  const parts = [
    ...(data.keys === undefined ? [] : [`${data.keys} keys`]),
    ...(data.copied_from ? [`from shard ${data.copied_from.shard_uid}`] : []),
  ];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** ` (node 2)`: the node whose rehearsal answers for this shard. */
const rehearsedBy = (rollback: NonNullable<ShardEntry['rollback']>) =>
  rollback.rehearsed_by ? ` (node ${rollback.rehearsed_by.node_uid})` : '';

/**
 * Per node and shard: the load, the data (and the replica it was copied from) and the rollback
 * rehearsal (and the node that ran it for this shard); then each failure in the loader's words.
 */
export function renderPreflight(preflight: UpgradePreflight): string {
  const shards = [...preflight.shards].sort((a, b) => a.node_uid - b.node_uid || a.shard_uid - b.shard_uid);
  const table = renderTable(
    ['node', 'shard', 'role', 'load', 'data', 'rollback', 'time'],
    shards.map(s => [
      String(s.node_uid),
      String(s.shard_uid),
      s.role,
      s.load.ok ? 'ok' : 'FAILED',
      s.data.ok ? `ok${dataNote(s.data)}` : 'FAILED',
      s.rollback === undefined ? '-' : `${s.rollback.possible ? 'possible' : 'impossible'}${rehearsedBy(s.rollback)}`,
      `${s.duration_ms} ms`,
    ]),
  );
  const words = shards.flatMap(s => [
    ...(s.load.error ? [`  node ${s.node_uid} shard ${s.shard_uid}: load: ${s.load.error}\n`] : []),
    ...(s.data.error ? [`  node ${s.node_uid} shard ${s.shard_uid}: data: ${s.data.error}\n`] : []),
    // A rollback another shard rehearsed is in that shard's words already.
    ...(s.rollback?.error && !s.rollback.rehearsed_by
      ? [`  node ${s.node_uid} shard ${s.shard_uid}: rollback: ${s.rollback.error}\n`]
      : []),
  ]);
  const failed = shards.filter(s => !s.load.ok || !s.data.ok).length;
  const verdict = preflight.ok
    ? `Pre-flight: passed on ${shards.length} shard${shards.length === 1 ? '' : 's'}`
    : `Pre-flight: FAILED on ${failed} of ${shards.length} shard${shards.length === 1 ? '' : 's'}`;
  return `${table}${words.join('')}${verdict}\n${rollbackVerdictLine(preflight)}\n`;
}

/** What `db upgrade --dry-run` prints: the module changes, the pre-flight, the rollback verdict. */
export function renderDryRun(answer: UpgradeDryRunAnswer, bdb: Pick<BdbObject, 'uid' | 'name'>): string {
  return (
    `Dry run for ${dbLabel(bdb)}: nothing restarted\n` +
    `Module changes:\n${renderModuleChanges(answer.modules)}` +
    `Pre-flight per node and shard:\n${renderPreflight(answer.preflight)}`
  );
}
