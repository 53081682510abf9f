import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from './client-context.js';
import { bashCompletion } from './completion-command.js';
import { downtimeWarning, upgradeBody, type UpgradeFlags } from './db-upgrade-run.js';
import { registerClientCommands } from './register-client-commands.js';
import {
  newStateLines,
  renderModuleChanges,
  renderPreflight,
  rollbackVerdictLine,
  stateLine,
} from './upgrade-format.js';

const entry = (version: string, args = '') => ({
  module_name: 'mfver',
  module_args: args,
  module_id: version,
  semantic_version: version,
});

describe('upgrade output', () => {
  it("prints states as rladmin does, with modfleet's detail, and only the new ones", () => {
    const machine = { name: 'SMUpgradeBDB' as const };
    expect(stateLine(machine, { state: 'prepare', at: 1 })).toBe('active - SMUpgradeBDB prepare');
    expect(stateLine(machine, { state: 'restart', at: 2, detail: 'shard 2 on node 2' })).toBe(
      'active - SMUpgradeBDB restart: shard 2 on node 2',
    );
    expect(stateLine(machine, { state: 'completed', at: 3 })).toBe('completed - SMUpgradeBDB');
    const states = [
      { state: 'prepare', at: 1 },
      { state: 'restart', at: 2 },
      { state: 'failover', at: 3 },
    ];
    const sm = { action_uid: 'a', name: 'SMUpgradeBDB', object_name: 'bdb:1', status: 'active' } as const;
    expect(newStateLines({ ...sm, progress: 0, heartbeat: 0, creation_time: 0, states }, 2)).toEqual([
      'active - SMUpgradeBDB failover',
    ]);
  });

  it("names the replica a shard's data came from and the node whose rehearsal answers for it, its words once", () => {
    const error = 'mfver 1.0.0 cannot load mfvertype encoding version 2';
    const byReplica = { node_uid: 2, shard_uid: 12 };
    const text = renderPreflight({
      ok: true,
      rollback: 'impossible',
      rollback_reason: error,
      shards: [
        {
          node_uid: 1,
          shard_uid: 11,
          role: 'master',
          load: { ok: true },
          data: { ok: true, keys: 203, copied_from: byReplica },
          rollback: { possible: false, error, rehearsed_by: byReplica },
          duration_ms: 300,
        },
        {
          node_uid: 2,
          shard_uid: 12,
          role: 'slave',
          load: { ok: true },
          data: { ok: true, keys: 203 },
          rollback: { possible: false, error },
          duration_ms: 500,
        },
      ],
    });
    expect(text.split('\n').slice(1, 3)).toEqual([
      '1     11     master  ok    ok (203 keys, from shard 12)  impossible (node 2)  300 ms',
      '2     12     slave   ok    ok (203 keys)                 impossible           500 ms',
    ]);
    expect(text.split(error)).toHaveLength(3); // the rehearsing shard's line and the verdict
  });

  it('says which args change and what the rehearsal found', () => {
    expect(
      renderModuleChanges([{ module_name: 'mfver', from: entry('1.0.0', 'A 1'), to: entry('1.1.0', 'A 1') }]),
    ).toBe('  mfver 1.0.0 -> 1.1.0, args kept: "A 1"\n');
    expect(rollbackVerdictLine({ rollback: 'impossible', rollback_reason: 'encoding 2' })).toBe(
      'Rollback: impossible (the current version cannot read what the new one writes: encoding 2)',
    );
    expect(rollbackVerdictLine({ rollback: 'not_rehearsed' })).toBe('Rollback: not rehearsed');
  });

  it('builds RS body: modules only, args kept unless given or cleared', () => {
    const bdb = { redis_version: '7.2', module_list: [entry('1.0.0', 'A 1')] };
    const flags = { module: [], timeout: '900' } as unknown as UpgradeFlags;
    expect(upgradeBody(bdb, flags)).toEqual({ redis_version: '7.2' });
    expect(upgradeBody(bdb, { ...flags, module: ['mfver'], requireRollback: true, mayDiscardData: true })).toEqual({
      redis_version: '7.2',
      modules: [{ module_name: 'mfver' }],
      may_discard_data: true,
      modfleet_require_rollback: true,
    });
    expect(upgradeBody(bdb, { ...flags, clearArgs: true, forceRestart: true })).toEqual({
      redis_version: '7.2',
      modules: [{ module_name: 'mfver', new_module_args: '' }],
      force_restart: true,
    });
  });

  it('warns only a database without replication, and says whether its data survives', () => {
    const bdb = { uid: 3, name: 'cache', replication: true, data_persistence: 'disabled' as const };
    expect(downtimeWarning(bdb)).toBe('');
    expect(downtimeWarning({ ...bdb, replication: false })).toContain('its data is lost unless');
  });

  it('appear in help and shell completion with their flags', () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} } as unknown as Io;
    const program = new Command('modfleet');
    registerClientCommands(program, io);
    const script = bashCompletion(program);
    expect(script).toMatch(/'db'\) echo '[^']*upgrade rollback'/);
    expect(script).toMatch(
      /'db upgrade'\) echo '[^']*--module --module-args --keep-args --clear-args --dry-run --preserve-roles/,
    );
    expect(script).toMatch(/'modules'\) echo '[^']*status'/);
    expect(program.commands.find(c => c.name() === 'db')?.helpInformation()).toContain('upgrade [options] <db>');
  });
});
