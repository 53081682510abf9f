import { routes, pathTo, type V1ActionList } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { api } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';
import { as, bdbCalls, running, startBdbRoutes, twoNodeSetup, type BdbHarness } from './bdb-routes-harness.js';

const admin = as('admin');
let harness: BdbHarness;
afterEach(() => harness.close());
const twoNodes = async (artifacts?: string[]) => (harness = await startBdbRoutes(twoNodeSetup(artifacts)));
const { create, get } = bdbCalls(() => harness);

describe('a database that cannot start, and DELETE', () => {
  it('is creation-failed with the agent’s words, its shards withdrawn, its create action failed', async () => {
    await twoNodes();
    const { body } = await create({
      name: 'bad-args',
      memory_size: 1,
      module_list: [{ module_name: 'ft', module_args: 'NOSUCH 1' }],
    });
    harness.store.report(body.shard_list[0]!, {
      node_uid: 1,
      state: 'failed',
      error: 'Module /x/redisearch.so failed to load',
      updated_at: new Date().toISOString(),
    });

    const failed = await get(body.uid);
    expect(failed.body).toMatchObject({ status: 'creation-failed' });
    expect(failed.body.status_reason).toMatch(/failed to load/);
    expect((await harness.store.plans(1)).size).toBe(0);
    const list = await api<V1ActionList>(`${harness.url}${routes.v1Actions}`, { credentials: admin });
    expect(list.body['state-machines']).toEqual([
      expect.objectContaining({
        action_uid: body.action_uid,
        name: 'SMCreateBDB',
        status: 'failed',
        error: expect.stringMatching(/failed to load/) as string,
      }),
    ]);
  });

  it('is creation-failed when no agent answers in time, never pending for ever', async () => {
    let clock = Date.now();
    harness = await startBdbRoutes({ nodes: [{ uid: 1, host: '127.0.0.2' }], modules: [], now: () => clock });
    const { body } = await create({ name: 'lonely', memory_size: 1 });
    expect((await get(body.uid)).body.status).toBe('pending');
    clock += 61_000;
    const failed = await get(body.uid);
    expect(failed.body.status).toBe('creation-failed');
    expect(failed.body.status_reason).toMatch(/node\(s\) 1 did not answer/);
  });

  it('DELETE answers an action, shows delete-pending until the agents let go, then 404 and the port is free', async () => {
    await twoNodes();
    const { body } = await create({ name: 'gone', memory_size: 1, replication: true });
    for (const shard of body.shard_list) harness.store.report(shard, running(1));
    expect((await get(body.uid)).body.status).toBe('active');

    const deleted = await api<{ action_uid: string }>(`${harness.url}${pathTo(routes.bdb, { uid: body.uid })}`, {
      method: 'DELETE',
      credentials: admin,
    });
    expect(deleted.status).toBe(200);
    expect((await get(body.uid)).body.status).toBe('delete-pending');
    expect((await harness.store.plans(1)).size + (await harness.store.plans(2)).size).toBe(0);
    const action = pathTo(routes.v1Action, { uid: deleted.body.action_uid });
    expect((await api(`${harness.url}${action}`, { credentials: admin })).body).toMatchObject({
      name: 'SMDeleteBDB',
      status: 'active',
    });
    expectRsError(
      await api(`${harness.url}${pathTo(routes.bdb, { uid: body.uid })}`, { method: 'DELETE', credentials: admin }),
      409,
    );

    for (const shard of body.shard_list) harness.store.report(shard, undefined);
    expectRsError(await get(body.uid), 404, 'db_not_exist');
    expectRsError(await api(`${harness.url}${action}`, { credentials: admin }), 404, 'action_not_found');
    expect(await harness.store.usedPorts()).toEqual(new Set());
    expectRsError(await get(99), 404, 'db_not_exist');
  });
});

describe('the v1 actions and the v1 module routes RS 8 dropped', () => {
  it('lists the fleet’s actions as v1 tasks beside the state machines, as redisctl reads them', async () => {
    await twoNodes();
    await harness.actions.create(
      {
        action_uid: 'push-1',
        name: 'install_module',
        creation_time: 1760400087,
        description: '',
        object_type: 'cluster',
        object_uid: '',
      },
      [],
    );
    const { body } = await create({ name: 'listed', memory_size: 1 });
    const list = await api<V1ActionList>(`${harness.url}${routes.v1Actions}`, { credentials: admin });

    expect(Object.keys(list.body).sort()).toEqual(['actions', 'state-machines']);
    expect(list.body.actions).toEqual([
      expect.objectContaining({
        action_uid: 'push-1',
        task_id: 'push-1',
        name: 'install_module',
        creation_time: '1760400087',
      }),
    ]);
    expect(list.body['state-machines']).toEqual([
      expect.objectContaining({
        action_uid: body.action_uid,
        name: 'SMCreateBDB',
        object_name: 'bdb:1',
        status: 'active',
      }),
    ]);
    expect(
      (await api(`${harness.url}${pathTo(routes.v1Action, { uid: 'push-1' })}`, { credentials: admin })).body,
    ).toMatchObject({
      task_id: 'push-1',
    });
  });

  it('answers 405 with an RS body to POST /v1/modules and DELETE /v1/modules/<uid>', async () => {
    await twoNodes();
    const upload = await api(`${harness.url}${routes.modules}`, { method: 'POST', credentials: admin, json: {} });
    expectRsError(upload, 405, 'method_not_allowed');
    expect(upload.headers.get('allow')).toBe('GET');
    expectRsError(
      await api(`${harness.url}${pathTo(routes.module, { uid: 'abc' })}`, { method: 'DELETE', credentials: admin }),
      405,
    );
  });
});
