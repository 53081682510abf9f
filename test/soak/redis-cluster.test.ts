import { randomBytes } from 'node:crypto';
import { pathTo, routes, type ActionObject } from '@modfleet/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { expectCleanVerify } from '../helpers/fault-checks.js';
import { startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { killAllProcesses } from '../helpers/processes.js';
import { startRedisCluster, type RedisClusterSet } from '../helpers/redis-cluster.js';

const opsOf = (action: ActionObject) => Object.values(action.additional_info.pending_ops).map(op => op.status);

describe('modfleet on a Redis Cluster of three masters: a coordinator and two agents', () => {
  let redisCluster: RedisClusterSet;
  let fleet: FleetCluster;

  beforeAll(async () => {
    redisCluster = await startRedisCluster();
    fleet = await startFleetCluster({ nodes: 2, coordinatorEnv: redisCluster.env, agentEnv: redisCluster.env });
  }, 90_000);
  afterAll(async () => {
    await fleet?.stop();
    await redisCluster?.stop();
    await killAllProcesses();
  });

  it('pushes, syncs and deletes across the fleet, lists the actions, and verify finds the fleet clean', async () => {
    const zip = await buildArtifactZip({ manifest: { module_name: 'Clustered', version: 1 }, so: randomBytes(4096) });
    const pushed = await fleet.push(zip);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const push = await fleet.waitForAction(pushed.body.action_uid!);
    expect(push.status).toBe('completed');
    expect(opsOf(push)).toEqual(['completed', 'completed']);
    for (const agent of fleet.agents) {
      expect((await fleet.localArtifacts(agent)).map(artifact => artifact.module_name)).toEqual(['Clustered']);
    }

    const synced = await fleet.api<{ action_uid: string }>(routes.fleetSync, { method: 'POST' });
    expect(synced.status, JSON.stringify(synced.body)).toBe(202);
    expect((await fleet.waitForAction(synced.body.action_uid)).status).toBe('completed');

    await expectCleanVerify(fleet);

    const deleted = await fleet.api<{ action_uid: string }>(
      pathTo(routes.fleetArtifact, { moduleName: 'Clustered', version: 1 }),
      { method: 'DELETE' },
    );
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(202);
    const removal = await fleet.waitForAction(deleted.body.action_uid);
    expect(removal.status).toBe('completed');
    expect(opsOf(removal)).toEqual(['completed', 'completed']);
    for (const agent of fleet.agents) expect(await fleet.localArtifacts(agent)).toEqual([]);

    // Every key under the prefix's hash tag: one slot, so one master holds them all.
    const keysPerMaster = await Promise.all(
      redisCluster.ports.map(async port => {
        const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
        try {
          await node.connect();
          return await node.keys(`{${fleet.prefix}}:*`);
        } finally {
          node.disconnect();
        }
      }),
    );
    expect(keysPerMaster.filter(keys => keys.length > 0)).toHaveLength(1);

    const listed = (await fleet.actions()).map(action => action.action_uid);
    expect(listed).toEqual(
      expect.arrayContaining([pushed.body.action_uid, synced.body.action_uid, deleted.body.action_uid]),
    );
  }, 120_000);
});
