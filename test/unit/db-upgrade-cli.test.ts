import type { BdbObject, UpgradeDryRunAnswer, UpgradePreflight } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { moduleVersion } from './bdb-routes-harness.js';
import {
  advancingMachine,
  startFakeUpgradeServer,
  type Answer,
  type FakeUpgradeServer,
  type SeenRequest,
} from '../helpers/fake-upgrade-server.js';

let server: FakeUpgradeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const run = (args: string[]) => runCliInProcess(server!.url, args);

const entry = (version: string, args = '') => ({
  module_name: 'mfver',
  module_args: args,
  module_id: `mfver-${version}`,
  semantic_version: version,
});

const orders = {
  uid: 1,
  name: 'orders',
  status: 'active',
  replication: true,
  data_persistence: 'aof',
  redis_version: '7.2',
  module_list: [entry('1.0.0')],
} as BdbObject;

const preflight: UpgradePreflight = {
  ok: true,
  rollback: 'possible',
  shards: [
    {
      node_uid: 2,
      shard_uid: 2,
      role: 'slave',
      load: { ok: true },
      data: { ok: true, keys: 1000 },
      rollback: { possible: true },
      duration_ms: 180,
    },
    {
      node_uid: 1,
      shard_uid: 1,
      role: 'master',
      load: { ok: true },
      data: { ok: true, keys: 1000 },
      rollback: { possible: true },
      duration_ms: 212,
    },
  ],
};
const changes = [{ module_name: 'mfver', from: entry('1.0.0'), to: entry('1.1.0', 'VERBOSE 1') }];

const UPGRADE_STATES = [
  { state: 'prepare' },
  { state: 'preflight', detail: 'mfver 1.1.0 loaded with the data of 2 shards on 2 nodes' },
  { state: 'restart', detail: 'shard 2 (replica) on node 2, mfver 1.1.0' },
  { state: 'failover', detail: 'shard 2 promoted at offset 48213' },
  { state: 'restart', detail: 'shard 1 (replica) on node 1, mfver 1.1.0' },
  { state: 'second_failover', detail: 'shard 1 master again' },
  { state: 'completed' },
];

/** The upgrade route as the contract says: 200 with the bdb and an action_uid, then the machine advancing. */
function upgradeRoute(states = UPGRADE_STATES, onPost: (seen: SeenRequest) => Answer = () => undefined) {
  const machine = advancingMachine('a1b2c3', states, shown => ({
    modules: changes,
    ...(shown >= 2 && { preflight }),
    ...(states[shown - 1]?.state === 'failed' && { error: 'shard 1 did not come back: Module mfver failed to load' }),
  }));
  return (seen: SeenRequest): Answer => {
    if (seen.method === 'POST' && seen.path === '/v1/bdbs/1/upgrade') {
      return onPost(seen) ?? { status: 200, json: { ...orders, action_uid: 'a1b2c3' } };
    }
    if (seen.method === 'GET' && seen.path === '/v1/actions/a1b2c3') return { status: 200, json: machine() };
    return undefined;
  };
}

describe('modfleet db upgrade', () => {
  it('sends RS body, prints each state as rladmin does, the pre-flight and the rollback verdict, then Done', async () => {
    server = await startFakeUpgradeServer({ bdbs: [orders], answer: upgradeRoute() });
    const result = await run(['db', 'upgrade', 'orders', '--module-args', 'VERBOSE 1', '--preserve-roles']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(server.requests.find(r => r.method === 'POST')?.body).toEqual({
      redis_version: '7.2',
      modules: [{ module_name: 'mfver', new_module_args: 'VERBOSE 1' }],
      preserve_roles: true,
    });
    expect(result.out).toBe(
      [
        'Monitoring a1b2c3',
        'Module changes:',
        '  mfver 1.0.0 -> 1.1.0, args (none) -> "VERBOSE 1"',
        'active - SMUpgradeBDB prepare',
        'active - SMUpgradeBDB preflight: mfver 1.1.0 loaded with the data of 2 shards on 2 nodes',
        'Pre-flight per node and shard:',
        'NODE  SHARD  ROLE    LOAD  DATA            ROLLBACK  TIME',
        '1     1      master  ok    ok (1000 keys)  possible  212 ms',
        '2     2      slave   ok    ok (1000 keys)  possible  180 ms',
        'Pre-flight: passed on 2 shards',
        'Rollback: possible (the current version reads what the new one writes)',
        'active - SMUpgradeBDB restart: shard 2 (replica) on node 2, mfver 1.1.0',
        'active - SMUpgradeBDB failover: shard 2 promoted at offset 48213',
        'active - SMUpgradeBDB restart: shard 1 (replica) on node 1, mfver 1.1.0',
        'active - SMUpgradeBDB second_failover: shard 1 master again',
        'completed - SMUpgradeBDB',
        'Done',
        '',
      ].join('\n'),
    );
  });

  it('prints the machine error and exits 1 when the upgrade fails', async () => {
    const failing = [...UPGRADE_STATES.slice(0, 3), { state: 'failed' }];
    server = await startFakeUpgradeServer({ bdbs: [orders], answer: upgradeRoute(failing) });
    const result = await run(['db', 'upgrade', '1']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/active - SMUpgradeBDB restart: shard 2.*\nfailed - SMUpgradeBDB\n$/);
    expect(result.out).not.toContain('Done');
    expect(result.err).toBe('modfleet: upgrade_failed: shard 1 did not come back: Module mfver failed to load\n');
  });

  it('prints the RS refusal and exits 1; under -o json the RS body', async () => {
    const refusal = {
      status: 406,
      json: { error_code: 'preflight_failed', description: 'node 1: Module mfver failed to load: bad arg VERBOZE' },
    };
    server = await startFakeUpgradeServer({ bdbs: [orders], answer: upgradeRoute(UPGRADE_STATES, () => refusal) });
    const table = await run(['db', 'upgrade', 'orders', '--module-args', 'VERBOZE 1']);
    expect(table).toMatchObject({ code: 1, out: '' });
    expect(table.err).toBe('modfleet: preflight_failed: node 1: Module mfver failed to load: bad arg VERBOZE\n');
    const json = await run(['db', 'upgrade', 'orders', '-o', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toEqual(refusal.json);
  });

  it('under -o json prints the final state machine and keeps the states on stderr', async () => {
    server = await startFakeUpgradeServer({ bdbs: [orders], answer: upgradeRoute() });
    const result = await run(['db', 'upgrade', 'orders', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ action_uid: 'a1b2c3', status: 'completed', preflight });
    expect(result.err).toContain('Monitoring a1b2c3\n');
    expect(result.err).toMatch(/completed - SMUpgradeBDB\nDone\n$/);
  });

  it('warns that a database without replication is down during the restart', async () => {
    const single = { ...orders, replication: false };
    server = await startFakeUpgradeServer({ bdbs: [single], answer: upgradeRoute() });
    const result = await run(['db', 'upgrade', 'orders', '--keep-args']);
    expect(result.code).toBe(0);
    expect(result.err).toBe(
      'warning: db:1 (orders) has no replication: it is unavailable while its shard restarts; it reloads its data from aof after the restart\n',
    );
  });

  it('refuses --module for a module the database does not run, and conflicting args flags (exit 2)', async () => {
    server = await startFakeUpgradeServer({ bdbs: [orders], answer: upgradeRoute() });
    const unknown = await run(['db', 'upgrade', 'orders', '--module', 'search']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe('modfleet: module_not_in_db: --module search: the database runs mfver\n');
    const both = await run(['db', 'upgrade', 'orders', '--module-args', 'X', '--clear-args']);
    expect(both.code).toBe(2);
    expect(server.requests.some(r => r.method === 'POST')).toBe(false);
  });
});

describe('modfleet db upgrade --dry-run', () => {
  const dryRun =
    (answer: UpgradeDryRunAnswer) =>
    (seen: SeenRequest): Answer =>
      seen.method === 'POST' && seen.path === '/v1/bdbs/1/upgrade?dry_run=true'
        ? { status: 200, json: answer }
        : undefined;

  it('prints the module changes, the pre-flight per node and shard and the verdict; exit 0', async () => {
    server = await startFakeUpgradeServer({
      bdbs: [orders],
      answer: dryRun({ bdb_uid: 1, dry_run: true, modules: changes, preflight }),
    });
    const result = await run(['db', 'upgrade', 'orders', '--clear-args', '--dry-run']);
    expect(result.code).toBe(0);
    expect(server.requests.find(r => r.method === 'POST')?.body).toEqual({
      redis_version: '7.2',
      modules: [{ module_name: 'mfver', new_module_args: '' }],
    });
    expect(result.out).toMatch(
      /^Dry run for db:1 \(orders\): nothing restarted\nModule changes:\n {2}mfver 1.0.0 -> 1.1.0/,
    );
    expect(result.out).toContain('Pre-flight: passed on 2 shards\n');
  });

  it("exits 1 with the loader's words when the pre-flight fails, and names an impossible rollback", async () => {
    const failed: UpgradePreflight = {
      ok: false,
      rollback: 'impossible',
      rollback_reason: "Can't load mfver data: encoding version 2 is newer than 1",
      shards: [
        {
          ...preflight.shards[1]!,
          load: { ok: false, error: 'Module /tmp/mfver.so initialization failed: unknown arg VERBOZE' },
          data: { ok: false, error: 'not tried: the module did not load' },
          rollback: { possible: false, error: "Can't load mfver data: encoding version 2 is newer than 1" },
        },
      ],
    };
    server = await startFakeUpgradeServer({
      bdbs: [orders],
      answer: dryRun({ bdb_uid: 1, dry_run: true, modules: changes, preflight: failed }),
    });
    const result = await run(['db', 'upgrade', 'orders', '--dry-run']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('1     1      master  FAILED  FAILED  impossible  212 ms\n');
    expect(result.out).toContain(
      '  node 1 shard 1: load: Module /tmp/mfver.so initialization failed: unknown arg VERBOZE\n',
    );
    expect(result.out).toContain('Pre-flight: FAILED on 1 of 1 shard\n');
    expect(result.out).toContain(
      'Rollback: impossible (the current version cannot read what the new one writes: ' +
        "Can't load mfver data: encoding version 2 is newer than 1)\n",
    );
  });

  it('with --require-rollback exits 1 when the rehearsal says impossible', async () => {
    const noWayBack = { ...preflight, rollback: 'impossible' as const, rollback_reason: 'encoding version 2' };
    server = await startFakeUpgradeServer({
      bdbs: [orders],
      answer: dryRun({ bdb_uid: 1, dry_run: true, modules: changes, preflight: noWayBack }),
    });
    expect((await run(['db', 'upgrade', 'orders', '--dry-run'])).code).toBe(0);
    const required = await run(['db', 'upgrade', 'orders', '--dry-run', '--require-rollback', '-o', 'json']);
    expect(required.code).toBe(1);
    expect(JSON.parse(required.out)).toMatchObject({ dry_run: true, preflight: { rollback: 'impossible' } });
  });
});

describe('modfleet db rollback', () => {
  it('sends modfleet_rollback and monitors the machine to Done', async () => {
    const upgraded = {
      ...orders,
      module_list: [entry('1.1.0')],
      last_upgrade: {
        action_uid: 'a0',
        from: [entry('1.0.0')],
        to: [entry('1.1.0')],
        rollback: 'possible' as const,
        finished_at: '2026-12-07T16:00:00Z',
      },
    };
    server = await startFakeUpgradeServer({ bdbs: [upgraded], answer: upgradeRoute() });
    const result = await run(['db', 'rollback', 'orders']);
    expect(result.code).toBe(0);
    expect(server.requests.find(r => r.method === 'POST')?.body).toEqual({ modfleet_rollback: true });
    expect(result.out).toMatch(
      /^Rolling back db:1 \(orders\): mfver 1.1.0 -> 1.0.0 \(rehearsal: possible\)\nMonitoring a1b2c3\n/,
    );
    expect(result.out).toMatch(/Done\n$/);
  });

  it("says why when refused: the rehearsal's words", async () => {
    const upgraded = {
      ...orders,
      last_upgrade: {
        action_uid: 'a0',
        from: [entry('1.0.0')],
        to: [entry('2.0.0')],
        rollback: 'impossible' as const,
        rollback_reason: 'encoding version 2 is newer than 1',
        finished_at: '2026-12-07T16:00:00Z',
      },
    };
    const refusal = { status: 406, json: { error_code: 'rollback_impossible', description: 'Rollback is impossible' } };
    server = await startFakeUpgradeServer({ bdbs: [upgraded], answer: upgradeRoute(UPGRADE_STATES, () => refusal) });
    const result = await run(['db', 'rollback', '1']);
    expect(result).toMatchObject({ code: 1, out: '' });
    expect(result.err).toBe(
      'modfleet: rollback_impossible: Rollback is impossible\n' +
        "modfleet: hint: the rehearsal before upgrade a0 found the old version cannot read the new one's data " +
        '(encoding version 2 is newer than 1); restore a backup instead\n',
    );
  });
});

describe('modfleet modules status', () => {
  const modules = [
    moduleVersion('mfver', 10000, { min: '7.0' }),
    moduleVersion('mfver', 10100, { min: '7.0' }),
    moduleVersion('ft', 20809, { min: '7.2' }),
  ];
  const bdbs = [
    { ...orders, module_list: [{ ...entry('1.0.0', 'VERBOSE 1'), module_id: modules[0]!.uid }] },
    {
      ...orders,
      uid: 2,
      name: 'search-db',
      module_list: [{ ...entry('2.8.9'), module_name: 'ft', module_id: modules[2]!.uid }],
    },
  ] as BdbObject[];

  it("prints rladmin's tables: the newest of each module, and OLD MODULE VERSION where a newer one fits", async () => {
    server = await startFakeUpgradeServer({ bdbs, modules, answer: () => undefined });
    const result = await run(['modules', 'status']);
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      [
        'CLUSTER MODULES:',
        'MODULE           VERSION   MIN_REDIS_VERSION  ID',
        `ft               2.8.9     7.2                ${modules[2]!.uid}`,
        `mfver            1.1.0     7.0                ${modules[1]!.uid}`,
        'DATABASE MODULES:',
        'DB:ID      NAME             MODULE            VERSION  ARGS              STATUS',
        'db:1       orders           mfver             1.0.0    VERBOSE 1         OK, OLD MODULE VERSION',
        'db:2       search-db        ft                2.8.9                      OK',
        '',
      ].join('\n'),
    );
  });

  it('--all lists every version, --db picks databases, -o json prints the tables object', async () => {
    server = await startFakeUpgradeServer({ bdbs, modules, answer: () => undefined });
    const all = await run(['modules', 'status', '--all', '--db', 'search-db', '--extra', 'compatible_redis_version']);
    expect(all.out).toContain(
      `mfver            1.0.0     7.0                                          ${modules[0]!.uid}\n`,
    );
    expect(all.out).not.toContain('db:1');
    const json = await run(['modules', 'status', '--db', '1', '-o', 'json']);
    expect(JSON.parse(json.out)).toMatchObject({
      cluster_modules: [{ module_name: 'ft' }, { module_name: 'mfver', version: '1.1.0' }],
      database_modules: [{ db: 'db:1', status: 'OK, OLD MODULE VERSION' }],
    });
    const unknown = await run(['modules', 'status', '--db', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe('modfleet: db_not_exist: no database nope; valid databases: 1 (orders), 2 (search-db)\n');
  });
});
