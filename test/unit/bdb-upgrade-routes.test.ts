import { pathTo, routes, type BdbObject, type UpgradeDryRunAnswer } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { api } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';
import { as } from './bdb-routes-harness.js';
import { bdbRecord, entryOf, MFVER, startUpgradeRoutes, type UpgradeHarness } from './bdb-upgrade-harness.js';

type Answer = BdbObject & { action_uid?: string; description?: string };
const [v100, v110, v200] = MFVER as [(typeof MFVER)[0], (typeof MFVER)[0], (typeof MFVER)[0]];
let harness: UpgradeHarness;
afterEach(() => harness.close());

const upgrade = (json: unknown, query = '', uid: number | string = 1, role = 'admin' as const) =>
  api<Answer>(`${harness.url}${pathTo(routes.bdbUpgrade, { uid })}${query}`, {
    method: 'POST',
    credentials: as(role),
    json,
  });

async function expectUntouched() {
  expect(harness.queued).toEqual([]);
  const stored = await harness.store.get(1);
  expect(stored?.status).toBe('active');
  expect(await harness.store.stateMachines()).toHaveLength(1); // the create's only
}

describe('POST /v1/bdbs/<uid>/upgrade', () => {
  it('starts SMUpgradeBDB to the newest installed version that fits, args kept, the bdb active-change-pending', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100, { args: 'LABEL blue' }), modules: [v100, v110] });

    const res = await upgrade({ redis_version: '7.0' });

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe('active-change-pending');
    expect(res.body.action_uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(harness.queued).toHaveLength(1);
    expect(harness.queued[0]).toMatchObject({
      bdb_uid: 1,
      master_shard: 1,
      from: [{ module_name: 'mfver', version: 10000, module_args: 'LABEL blue' }],
      to: [{ module_name: 'mfver', version: 10100, module_args: 'LABEL blue' }],
      preserve_roles: false,
    });
    const machine = await harness.store.stateMachine(res.body.action_uid!);
    expect(machine).toMatchObject({ name: 'SMUpgradeBDB', status: 'active', state: 'preflight' });
    expect(machine?.heading).toEqual({ toward: 'to' });
    expect(machine?.modules?.[0]?.to).toEqual(entryOf(v110, 'LABEL blue'));
    expect(harness.preflightCalls).toBe(1);
    expect(harness.events.events).toEqual([
      expect.objectContaining({ type: 'bdb_upgrade_started', bdb_uid: '1', action_uid: res.body.action_uid }),
    ]);
  });

  it('clears the args with "" and replaces them with new_module_args', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100, { args: 'LABEL blue' }), modules: [v100, v110] });
    expect((await upgrade({ modules: [{ module_name: 'mfver', new_module_args: '' }] })).status).toBe(200);
    expect(harness.queued[0]?.to[0]?.module_args).toBe('');
  });

  it('answers the database as it is, restarting nothing, when nothing would change', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v110), modules: [v100, v110] });
    const res = await upgrade({});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('active');
    expect(res.body.action_uid).toBeUndefined();
    await expectUntouched();
  });

  it('refuses a downgrade asked through the deprecated route with module_downgrade_unsupported', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v110), modules: [v100, v110] });
    const res = await api(`${harness.url}${pathTo(routes.moduleUpgradeBdb, { uid: 1 })}`, {
      method: 'POST',
      credentials: as('admin'),
      json: { modules: [{ module_name: 'mfver', new_module: v100.uid }] },
    });
    expect(expectRsError(res, 406, 'module_downgrade_unsupported').description).toContain('1.1.0 to 1.0.0');
    await expectUntouched();
  });

  it('maps the deprecated route’s body onto the upgrade', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100), modules: [v100, v110] });
    const res = await api<Answer>(`${harness.url}${pathTo(routes.moduleUpgradeBdb, { uid: 1 })}`, {
      method: 'POST',
      credentials: as('admin'),
      json: { modules: [{ module_name: 'mfver', current_semantic_version: '1.0.0' }], preserve_roles: true },
    });
    expect(res.status).toBe(200);
    expect(harness.queued[0]).toMatchObject({ preserve_roles: true, to: [{ version: 10100 }] });
  });

  it('refuses missing_module when a hosting node lacks the target', async () => {
    harness = await startUpgradeRoutes({
      record: bdbRecord(v100),
      modules: [v100, v110],
      artifacts: { 1: ['mfver@10000', 'mfver@10100'], 2: ['mfver@10000'] },
    });
    expect(expectRsError(await upgrade({}), 406, 'missing_module').description).toContain('node(s) 2');
    await expectUntouched();
  });

  it('refuses a non-replicated, non-persistent database without may_discard_data, and upgrades it with it', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100, { replication: false }), modules: [v100, v110] });
    expectRsError(await upgrade({}), 406, 'data_loss');
    await expectUntouched();
    const res = await upgrade({ may_discard_data: true });
    expect(res.status).toBe(200);
    expect(res.body.description).toContain('down while its shard restarts');
  });

  it('refuses 409 db_busy while the database is not active, 404 for none', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100, { status: 'active-change-pending' }) });
    expectRsError(await upgrade({}), 409, 'db_busy');
    expectRsError(await upgrade({}, '', 7), 404, 'db_not_exist');
    expect(harness.queued).toEqual([]);
  });

  it('refuses another redis_version (406 redis_incompatible_version) and bad types (400)', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100) });
    expectRsError(await upgrade({ redis_version: '7.2' }), 406, 'redis_incompatible_version');
    expectRsError(await upgrade({ preserve_roles: 'yes' }), 400);
    expectRsError(await upgrade({ modules: [{ module_name: 'mfver', new_module_args: 3 }] }), 400);
    await expectUntouched();
  });

  it('is refused to a role without update_bdb_with_action', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100) });
    expect((await upgrade({}, '', 1, 'db_viewer' as 'admin')).status).toBe(403);
    await expectUntouched();
  });

  it('dry_run answers the modules and the pre-flight, and leaves the database untouched', async () => {
    harness = await startUpgradeRoutes({ record: bdbRecord(v100) });
    const res = await api<UpgradeDryRunAnswer>(`${harness.url}${pathTo(routes.bdbUpgrade, { uid: 1 })}?dry_run=true`, {
      method: 'POST',
      credentials: as('admin'),
      json: {},
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      bdb_uid: 1,
      dry_run: true,
      modules: [{ module_name: 'mfver', from: entryOf(v100), to: entryOf(v200) }],
      preflight: { ok: true, rollback: 'possible' },
    });
    await expectUntouched();
  });

  it('refuses preflight_failed with the loader’s words per node, the database untouched', async () => {
    harness = await startUpgradeRoutes({
      record: bdbRecord(v100),
      preflight: {
        ok: false,
        rollback: 'not_rehearsed',
        shards: [
          {
            node_uid: 2,
            shard_uid: 2,
            role: 'slave',
            load: { ok: false, error: "mfver: unknown argument 'LABLE'" },
            data: { ok: false },
            duration_ms: 5,
          },
        ],
      },
    });
    const body = expectRsError(await upgrade({}), 406, 'preflight_failed');
    expect(body.description).toContain("node 2 (shard 2): mfver: unknown argument 'LABLE'");
    await expectUntouched();
  });

  it('with modfleet_require_rollback refuses an upgrade whose rollback is impossible', async () => {
    harness = await startUpgradeRoutes({
      record: bdbRecord(v100),
      preflight: { ok: true, shards: [], rollback: 'impossible', rollback_reason: 'mfver 1.0.0 cannot load mfvertype' },
    });
    const body = expectRsError(await upgrade({ modfleet_require_rollback: true }), 406, 'rollback_impossible');
    expect(body.description).toContain('cannot load mfvertype');
    await expectUntouched();
  });

  it('modfleet_rollback goes back to last_upgrade.from, and is refused when it was impossible or never happened', async () => {
    const last = (rollback: 'possible' | 'impossible') => ({
      action_uid: 'u',
      from: [entryOf(v100, 'LABEL old')],
      to: [entryOf(v110)],
      rollback,
      ...(rollback === 'impossible' && { rollback_reason: 'encoding 2' }),
      finished_at: '2026-01-01T00:00:00.000Z',
    });
    harness = await startUpgradeRoutes({ record: bdbRecord(v110) });
    expectRsError(await upgrade({ modfleet_rollback: true }), 406, 'rollback_unavailable');
    await harness.close();
    harness = await startUpgradeRoutes({ record: bdbRecord(v110, { last_upgrade: last('impossible') }) });
    expect(expectRsError(await upgrade({ modfleet_rollback: true }), 406, 'rollback_impossible').description).toContain(
      'encoding 2',
    );
    await expectUntouched();
    await harness.close();
    harness = await startUpgradeRoutes({ record: bdbRecord(v110, { last_upgrade: last('possible') }) });
    expect((await upgrade({ modfleet_rollback: true })).status).toBe(200);
    expect(harness.queued[0]?.to).toEqual([{ module_name: 'mfver', version: 10000, module_args: 'LABEL old' }]);
  });
});
