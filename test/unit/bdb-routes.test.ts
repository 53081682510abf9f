import { routes, pathTo, type RsErrorBody, type BdbObject, type ShardObject } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { api } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';
import {
  as,
  bdbCalls,
  moduleVersion,
  running,
  startBdbRoutes,
  twoNodeSetup,
  type BdbHarness,
} from './bdb-routes-harness.js';

const admin = as('admin');
let harness: BdbHarness;
afterEach(() => harness.close());
const twoNodes = async (artifacts?: string[]) => (harness = await startBdbRoutes(twoNodeSetup(artifacts)));
const { create, get } = bdbCalls(() => harness);

describe('POST /v1/bdbs', () => {
  it('creates a database from the body redisctl sends, pending until its shard runs, then active', async () => {
    await twoNodes();
    const created = await create({
      name: 'search-db',
      memory_size: 104857600,
      module_list: [{ module_name: 'ft', module_args: '' }],
    });

    expect(created.status).toBe(200);
    const bdb = created.body;
    expect(bdb).toMatchObject({
      uid: 1,
      name: 'search-db',
      type: 'redis',
      status: 'pending',
      memory_size: 104857600,
      port: 0,
      redis_version: '7.0',
      version: '7.0.15',
      shards_count: 1,
      sharding: false,
      replication: false,
      data_persistence: 'disabled',
      module_list: [
        { module_name: 'ft', module_args: '', module_id: harness.modules[0]!.uid, semantic_version: '1.2.0' },
      ],
      endpoints: [{ uid: '1:1', addr: ['127.0.0.2'], port: 12000, addr_type: 'external', proxy_policy: 'single' }],
    });
    expect(bdb.action_uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(bdb).not.toHaveProperty('placement');
    const plans = await harness.store.plans(1);
    expect([...plans.values()]).toEqual([
      {
        shard_uid: bdb.shard_list[0],
        bdb_uid: 1,
        role: 'master',
        port: 12000,
        memory_size: 104857600,
        data_persistence: 'disabled',
        modules: [{ module_name: 'ft', version: 10200, module_args: '' }],
      },
    ]);

    harness.store.report(bdb.shard_list[0]!, running(1));
    const after = await get(1);
    expect(after.body.status).toBe('active');
    expect(after.body).not.toHaveProperty('action_uid');
    const machine = await api(`${harness.url}${pathTo(routes.v1Action, { uid: bdb.action_uid! })}`, {
      credentials: admin,
    });
    expect(machine.body).toMatchObject({
      name: 'SMCreateBDB',
      object_name: 'bdb:1',
      status: 'completed',
      progress: 100,
    });
  });

  it('places a replica on another node, on its own port, following the master', async () => {
    await twoNodes();
    const { body } = await create({
      name: 'ha',
      memory_size: 1000,
      replication: true,
      data_persistence: 'aof',
      port: 12005,
    });

    expect(body.port).toBe(12005);
    expect(body.endpoints[0]!.port).toBe(12005);
    const shards = await api<ShardObject[]>(`${harness.url}${pathTo(routes.bdbShards, { uid: body.uid })}`, {
      credentials: admin,
    });
    expect(shards.body.map(s => [s.role, s.node_uid, s.status])).toEqual([
      ['master', '1', 'inactive'],
      ['slave', '2', 'inactive'],
    ]);
    const [replica] = [...(await harness.store.plans(2)).values()];
    expect(replica).toMatchObject({
      role: 'slave',
      port: 12000,
      data_persistence: 'aof',
      replica_of: { host: '127.0.0.2', port: 12005 },
    });
  });

  it('picks the newest version that fits the database’s Redis and that every hosting node holds', async () => {
    harness = await startBdbRoutes({
      nodes: [
        { uid: 1, host: '127.0.0.2', artifacts: ['m@1', 'm@2', 'm@3'] },
        { uid: 2, host: '127.0.0.3', artifacts: ['m@1', 'm@3', 'm@4'] },
      ],
      modules: [
        moduleVersion('m', 4, { compatible: '7.2' }),
        moduleVersion('m', 3, { min: '7.4' }),
        moduleVersion('m', 2, { compatible: '7.0' }),
        moduleVersion('m', 1, { min: '6.0' }),
      ],
    });
    const single = await create({
      name: 'one',
      memory_size: 1,
      module_list: [{ module_name: 'm', module_args: 'A 1' }],
    });
    expect(single.body.module_list[0]).toMatchObject({ semantic_version: '0.0.2', module_args: 'A 1' });
    expect(single.body.endpoints[0]!.addr).toEqual(['127.0.0.2']);

    const replicated = await create({
      name: 'two',
      memory_size: 1,
      replication: true,
      module_list: [{ module_name: 'm' }],
    });
    expect(replicated.body.module_list[0]).toMatchObject({ semantic_version: '0.0.1', module_args: '' });
  });

  it('answers each RS error code and leaves nothing behind', async () => {
    harness = await startBdbRoutes({
      nodes: [
        { uid: 1, host: '127.0.0.2', artifacts: ['ft@10200'] },
        { uid: 2, host: '127.0.0.3', status: 'down' },
      ],
      modules: [moduleVersion('ft', 10200), moduleVersion('old', 1, { compatible: '6.2' }), moduleVersion('rare', 1)],
    });
    const taken = await create({ name: 'first', memory_size: 1, uid: 5, port: 12003 });
    expect(taken.status).toBe(200);
    const cases: [unknown, number, string][] = [
      [{ memory_size: 1 }, 406, 'missing_db_name'],
      [{ name: 'x' }, 406, 'missing_memory_size'],
      [{ name: 'x', memory_size: 1, module_list: [{ module_name: 'nope', module_args: '' }] }, 406, 'missing_module'],
      [{ name: 'x', memory_size: 1, module_list: [{ module_name: 'old' }] }, 406, 'missing_module'],
      [{ name: 'x', memory_size: 1, module_list: [{ module_name: 'rare' }] }, 406, 'missing_module'],
      [{ name: 'x', memory_size: 1, port: 12003 }, 406, 'port_unavailable'],
      [{ name: 'x', memory_size: 1, uid: 5 }, 409, 'uid_exists'],
      [{ name: 'x', memory_size: 1, replication: true }, 406, 'invalid_replication'],
      [{ name: 'x', memory_size: 2 ** 50 }, 406, 'insufficient_resources'],
      [
        { name: 'x', memory_size: 1, type: 'memcached', module_list: [{ module_name: 'ft' }] },
        406,
        'memcached_cannot_use_modules',
      ],
      [{ name: 'x', memory_size: 1, shards_count: 2 }, 406, 'invalid_sharding'],
      [{ name: 'x', memory_size: 1, sharding: true }, 406, 'invalid_sharding'],
      [{ name: 'x', memory_size: 1, data_persistence: 'always' }, 406, 'invalid_data_persistence'],
      [{ name: 'x', memory_size: 1, redis_version: '7.2' }, 406, 'invalid_version'],
      [
        { name: 'x', memory_size: 1, module_list: [{ module_name: 'ft', module_args: 'a && b' }] },
        406,
        'invalid_module_args',
      ],
      [{ name: '-bad-', memory_size: 1 }, 406, 'invalid_name'],
    ];
    for (const [body, status, code] of cases) {
      const refused = await create(body);
      expectRsError(refused, status, code);
      if (code === 'invalid_sharding')
        expect((refused.body as unknown as RsErrorBody).description).toMatch(/one shard/);
    }
    const left = await api<BdbObject[]>(`${harness.url}${routes.bdbs}`, { credentials: admin });
    expect(left.body.map(b => b.uid)).toEqual([5]);
    expect(await harness.store.usedPorts()).toEqual(new Set([12003]));
    expect((await harness.store.plans(2)).size).toBe(0);
    expect((await harness.store.plans(1)).size).toBe(1);
    expect((await create({ name: 'next', memory_size: 1 })).body.uid).toBe(6);
  });

  it('holds to the roles: db_member creates, db_viewer reads only, none reads nothing', async () => {
    await twoNodes();
    expect((await create({ name: 'a', memory_size: 1 }, as('db_member'))).status).toBe(200);
    expectRsError(await create({ name: 'b', memory_size: 1 }, as('db_viewer')), 403, 'insufficient_permissions');
    expect((await api(`${harness.url}${routes.bdbs}`, { credentials: as('db_viewer') })).status).toBe(200);
    expectRsError(await api(`${harness.url}${routes.bdbs}`, { credentials: as('none') }), 403);
    expectRsError(
      await api(`${harness.url}${pathTo(routes.bdb, { uid: 1 })}`, {
        method: 'DELETE',
        credentials: as('cluster_viewer'),
      }),
      403,
    );
    expectRsError(await api(`${harness.url}${routes.bdbs}`, { method: 'POST', json: {} }), 401);
  });
});
