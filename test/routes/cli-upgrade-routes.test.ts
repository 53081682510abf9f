import { routes, type BdbObject, type ModuleObject, type StateMachineObject } from '@modfleet/common';
import { type BdbRecord } from '@modfleet/coordinator';
import { createFakeBdbStore, type FakeBdbStore } from '@modfleet/coordinator/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../packages/cli/src/client/api-client.js';
import { monitorStateMachine } from '../../packages/cli/src/client/upgrade-monitor.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { api } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';

let coordinator: FakeCoordinator;
let store: FakeBdbStore;

beforeEach(async () => {
  store = createFakeBdbStore();
  coordinator = await startFakeCoordinator({
    databases: { store, inventory: { read: () => Promise.resolve(new Map()) }, dbPorts: [[12000, 12009]] },
  });
});
afterEach(() => coordinator.stop());

/** A module version created through the real POST /v2/modules/user-defined. */
async function createModule(version: number, semantic: string): Promise<ModuleObject> {
  const res = await api<ModuleObject>(`${coordinator.url}${routes.userDefinedModules}`, {
    method: 'POST',
    credentials: ADMIN,
    json: {
      module_name: 'mfver',
      version,
      semantic_version: semantic,
      display_name: 'Module Version Probe',
      commands: [],
      command_line_args: '',
      capabilities: [],
      min_redis_version: '7.0',
    },
  });
  expect(res.status).toBe(200);
  return res.body;
}

const machine = (states: string[], status: StateMachineObject['status'] = 'active'): StateMachineObject => ({
  action_uid: 'up-1',
  name: 'SMUpgradeBDB',
  object_name: 'bdb:1',
  status,
  progress: 0,
  heartbeat: 1_765_000_000,
  creation_time: 1_765_000_000,
  states: states.map((state, i) => ({ state, at: 1_765_000_000 + i })),
});

async function storeDatabase(module: ModuleObject): Promise<void> {
  const bdb = {
    uid: 1,
    name: 'orders',
    status: 'active',
    redis_version: '7.2',
    module_list: [
      {
        module_name: 'mfver',
        module_args: 'VERBOSE 1',
        module_id: module.uid,
        semantic_version: module.semantic_version,
      },
    ],
    last_changed_time: new Date().toISOString(),
    placement: [],
    endpoints: [],
  } as unknown as BdbRecord;
  await store.create(bdb, { ...machine(['completed'], 'completed'), action_uid: 'create-1', name: 'SMCreateBDB' });
}

describe('the upgrade CLI against the coordinator app', () => {
  it('modules status reads the real GET /v1/modules and GET /v1/bdbs', async () => {
    const old = await createModule(10000, '1.0.0');
    const newer = await createModule(10100, '1.1.0');
    await storeDatabase(old);
    const result = await runCliInProcess(coordinator.url, ['modules', 'status'], ADMIN);
    expect(result.err).toBe('');
    expect(result.out).toBe(
      [
        'CLUSTER MODULES:',
        'MODULE                VERSION   MIN_REDIS_VERSION  ID',
        `Module Version Probe  1.1.0     7.0                ${newer.uid}`,
        'DATABASE MODULES:',
        'DB:ID      NAME             MODULE                VERSION  ARGS              STATUS',
        'db:1       orders           Module Version Probe  1.0.0    VERBOSE 1         OK, OLD MODULE VERSION',
        '',
      ].join('\n'),
    );
  });

  it('follows a state machine through the real GET /v1/actions/<uid> to its end', async () => {
    await storeDatabase(await createModule(10000, '1.0.0'));
    const passes = [['prepare'], ['prepare', 'restart'], ['prepare', 'restart', 'failover', 'completed']];
    await store.saveStateMachine(machine(passes[0]!));
    const said: string[] = [];
    let step = 0;
    const client = createApiClient({ url: coordinator.url, user: ADMIN.email, password: ADMIN.password });
    const { machine: last, ended } = await monitorStateMachine(client, 'up-1', {
      intervalMs: 2,
      timeoutMs: 10_000,
      say: text => {
        said.push(text);
        // the machine moves on while the CLI prints, as the coordinator's would
        step = Math.min(step + 1, passes.length - 1);
        const states = passes[step]!;
        void store.saveStateMachine(machine(states, states.includes('completed') ? 'completed' : 'active'));
      },
    });
    await client.close();
    expect(ended).toBe(true);
    expect(last.status).toBe('completed');
    expect(said.join('')).toBe(
      'Monitoring up-1\n' +
        'active - SMUpgradeBDB prepare\n' +
        'active - SMUpgradeBDB restart\n' +
        'active - SMUpgradeBDB failover\n' +
        'completed - SMUpgradeBDB\n',
    );
  });

  it('db upgrade names the database it could not find (exit 2), and db get still reads it', async () => {
    await storeDatabase(await createModule(10000, '1.0.0'));
    const missing = await runCliInProcess(coordinator.url, ['db', 'upgrade', 'nope'], ADMIN);
    expect(missing).toMatchObject({ code: 2, err: 'modfleet: db_not_exist: No database is named nope\n' });
    const get = await runCliInProcess(coordinator.url, ['db', 'get', 'orders', '-o', 'json'], ADMIN);
    expect((JSON.parse(get.out) as BdbObject).uid).toBe(1);
  });
});
