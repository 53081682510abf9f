import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, routes, type BdbObject, type V1ActionList } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpointClient,
  installRediSearch,
  killShardsOf,
  privateDbPorts,
  shardsOf,
  waitForBdbStatus,
} from '../helpers/databases.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { api } from '../helpers/http.js';
import { pollFor } from '../helpers/poll.js';
import { portClosed } from '../helpers/processes.js';
import { expectRsError } from '../helpers/rs-error.js';

const admin = FLEET_ADMIN;

describe('databases whose shards are real redis-server processes loading RediSearch (real processes)', () => {
  let cluster: FleetCluster;
  let viaNode: string;

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2, coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts() } });
    viaNode = cluster.agents[1]!.url;
    await installRediSearch(cluster);
  });

  afterAll(async () => {
    if (!cluster) return;
    // Agents stop their shards on SIGTERM; anything a failed test left running is killed after.
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  });

  it('creates a database through a node from the body redisctl sends, and FT.SEARCH finds the document', async () => {
    const created = await api<BdbObject>(`${viaNode}${routes.bdbs}`, {
      method: 'POST',
      credentials: admin,
      json: { name: 'search-db', memory_size: 104857600, module_list: [{ module_name: 'ft', module_args: '' }] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.status).toBe('pending');

    const bdb = await waitForBdbStatus(viaNode, admin, created.body.uid, 'pending');
    expect(bdb.status, bdb.status_reason).toBe('active');
    expect(bdb.module_list).toEqual([
      {
        module_name: 'ft',
        module_args: '',
        module_id: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
        semantic_version: '1.2.0',
      },
    ]);
    const [endpoint] = bdb.endpoints;
    const client = endpointClient(endpoint!.addr[0]!, endpoint!.port);
    try {
      await client.connect();
      expect(await client.call('FT.CREATE', 'idx', 'SCHEMA', 'title', 'TEXT')).toBe('OK');
      expect(await client.call('FT.ADD', 'idx', 'doc1', '1.0', 'FIELDS', 'title', 'hello world')).toBe('OK');
      expect(await client.call('FT.SEARCH', 'idx', 'hello')).toEqual([1, 'doc1', ['title', 'hello world']]);
      expect(await client.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '104857600']);
    } finally {
      client.disconnect();
    }

    // redisctl's `action list`: the create's state machine, completed.
    const actions = await api<V1ActionList>(`${viaNode}${routes.v1Actions}`, { credentials: admin });
    expect(actions.body['state-machines']).toContainEqual(
      expect.objectContaining({ action_uid: created.body.action_uid, name: 'SMCreateBDB', status: 'completed' }),
    );
    expect(actions.body.actions.length).toBeGreaterThan(0); // the RediSearch push, as a v1 task

    // DELETE: 200, then 404; the process is gone and so is its data.
    const [master] = await shardsOf(viaNode, admin, bdb.uid);
    const host = cluster.agent(Number(master!.node_uid));
    const shardDir = join(host.dataDir, 'shards', String(bdb.uid));
    await access(shardDir);

    // Guards: the node's artifact, the module object and the hosting node are needed while it exists.
    const localArtifact = pathTo(routes.localArtifact, { moduleName: 'ft', version: 10200 });
    const refusedLocal = await api(`${host.url}${localArtifact}`, { method: 'DELETE', credentials: admin });
    expect(expectRsError(refusedLocal, 406, 'module_in_use').description).toContain(`database(s) ${bdb.uid}`);
    const moduleObject = pathTo(routes.userDefinedModule, { uid: bdb.module_list[0]!.module_id });
    expectRsError(
      await api(`${viaNode}${moduleObject}`, { method: 'DELETE', credentials: admin }),
      406,
      'module_in_use',
    );
    const node = pathTo(routes.node, { uid: host.uid });
    expectRsError(await api(`${viaNode}${node}`, { method: 'DELETE', credentials: admin }), 409, 'node_hosts_shards');
    const deleted = await api<{ action_uid: string }>(`${viaNode}${pathTo(routes.bdb, { uid: bdb.uid })}`, {
      method: 'DELETE',
      credentials: admin,
    });
    expect(deleted.status).toBe(200);
    await pollFor(
      () => api(`${viaNode}${pathTo(routes.bdb, { uid: bdb.uid })}`, { credentials: admin }),
      res => res.status === 404,
      'the deleted database to answer 404',
    );
    expect(await portClosed(endpoint!.port)).toBe(true);
    await expect(access(shardDir)).rejects.toThrow();
  });

  it('is creation-failed with the module loader’s words when its module_args break the load, and leaves no process', async () => {
    const created = await api<BdbObject>(`${viaNode}${routes.bdbs}`, {
      method: 'POST',
      credentials: admin,
      json: {
        name: 'bad-args',
        memory_size: 0,
        module_list: [{ module_name: 'ft', module_args: 'EXTLOAD /nonexistent.so' }],
      },
    });
    expect(created.status).toBe(200);
    const bdb = await waitForBdbStatus(viaNode, admin, created.body.uid, 'pending');
    expect(bdb.status).toBe('creation-failed');
    expect(bdb.status_reason).toMatch(/Could not load extension \/nonexistent\.so/);
    await pollFor(
      () => portClosed(bdb.endpoints[0]!.port),
      closed => closed,
      'no process on the failed port',
    );
  });
});
