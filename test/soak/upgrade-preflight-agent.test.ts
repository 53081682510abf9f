import { pathTo, redisKeys, routes, type BdbObject } from '@modfleet/common';
import { createPreflightRunner, createRedisBdbStore } from '@modfleet/coordinator';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killShardsOf, privateDbPorts, waitForBdbStatus } from '../helpers/databases.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { REDIS_URL } from '../helpers/redis.js';
import { MFVER_VERSIONS, testModuleManifest, testModuleZip } from '../helpers/test-modules.js';

describe('upgrade pre-flight answered by a real agent process', () => {
  let cluster: FleetCluster;
  let redis: Redis;

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 1, coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts(3) } });
    redis = new Redis(REDIS_URL);
    for (const semver of ['1.0.0', '1.1.0'] as const) {
      const pushed = await cluster.push(await testModuleZip(semver));
      const action = await cluster.waitForAction(pushed.body.action_uid!, { timeoutMs: 60_000 });
      expect(action.status).toBe('completed');
      const created = await cluster.api(routes.userDefinedModules, {
        method: 'POST',
        json: testModuleManifest(semver),
      });
      expect(created.status).toBe(200);
    }
  });
  afterAll(async () => {
    redis?.disconnect();
    if (cluster) {
      await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
      await killShardsOf(cluster.agents.map(agent => agent.dataDir));
      await cluster.stop();
    }
  });

  it('a database on mfver 1.0.0: the agent loads 1.1.0, its data, and rehearses the way back', async () => {
    const base = cluster.coordinator.url;
    const created = await cluster.api<BdbObject>(routes.bdbs, {
      method: 'POST',
      json: {
        name: 'preflight-db',
        memory_size: 0,
        module_list: [{ module_name: 'mfver', semantic_version: '1.0.0', module_args: 'LABEL a' }],
      },
    });
    expect(created.status).toBe(200);
    const bdb = await waitForBdbStatus(base, FLEET_ADMIN, created.body.uid, 'pending', 60_000);
    expect(bdb.status).toBe('active');
    const db = new Redis({ port: bdb.endpoints[0]!.port, host: bdb.endpoints[0]!.addr[0]! });
    await db.call('MFVER.SET', 'typed', 'v');
    await db.set('plain', 'v');
    db.disconnect();

    const keys = redisKeys(cluster.prefix);
    const record = (await createRedisBdbStore(redis, keys).get(bdb.uid))!;
    const target = [{ module_name: 'mfver', version: MFVER_VERSIONS['1.1.0'].version, module_args: 'LABEL b' }];
    const preflight = await createPreflightRunner({ redis, keys }).run(record, target, {
      rehearseRollback: true,
      timeoutMs: 60_000,
    });

    expect(preflight).toMatchObject({ ok: true, rollback: 'possible' });
    expect(preflight.shards).toEqual([
      expect.objectContaining({ load: { ok: true }, data: { ok: true, keys: 2 }, rollback: { possible: true } }),
    ]);
    const after = await cluster.api<BdbObject>(pathTo(routes.bdb, { uid: bdb.uid }));
    expect(after.body.status).toBe('active');
  });
});
