/**
 * A replica restarted because its plan changed (an upgrade's new module version) saves its data
 * and replication offset at shutdown and resyncs partially from its master, under every
 * persistence mode; its data and (AOF) its persistence are as before.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, redisKeys, shardPlanDigest, type ShardPlan, type ShardReport } from '@modfleet/common';
import { startShardSupervisor, type ShardSupervisorDeps } from '@modfleet/agent';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { shardInfo } from '../helpers/databases.js';
import { pollFor } from '../helpers/poll.js';
import { freePortRange } from '../helpers/processes.js';
import { REDIS_SERVER } from '../helpers/real-module.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const KEYS = 2000;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('a replica restarted for a new plan', () => {
  it.each(['disabled', 'aof', 'snapshot'] as const)(
    'resyncs partially with its data intact (%s persistence)',
    async persistence => {
      const prefix = uniquePrefix('shard-restart');
      const keys = redisKeys(prefix);
      const redis = new Redis(REDIS_URL);
      const subscriber = new Redis(REDIS_URL);
      cleanups.push(() => deletePrefix(prefix));
      cleanups.push(() => Promise.all([redis.quit(), subscriber.quit()]));
      const masterPort = await freePortRange(2);
      const master: ShardPlan = {
        shard_uid: 1,
        bdb_uid: 1,
        role: 'master',
        port: masterPort,
        memory_size: 0,
        data_persistence: persistence,
        modules: [],
      };
      const replica: ShardPlan = {
        ...master,
        shard_uid: 2,
        role: 'slave',
        port: masterPort + 1,
        replica_of: { host: '127.0.0.1', port: masterPort },
      };
      const dataDirs: string[] = [];
      for (const [nodeUid, plan] of [
        [1, master],
        [2, replica],
      ] as const) {
        const dataDir = await makeTmpDir(`modfleet-shard-restart-${nodeUid}`);
        dataDirs.push(dataDir);
        cleanups.push(() => removeDir(dataDir));
        await redis.hset(keys.nodeShards(nodeUid), String(plan.shard_uid), JSON.stringify(plan));
        const deps: ShardSupervisorDeps = {
          redis,
          subscriber,
          keys,
          nodeUid,
          dataDir,
          bind: '127.0.0.1',
          redisServer: REDIS_SERVER,
          artifacts: { get: () => undefined, zipPath: () => '' },
          maxModuleBytes: 1024,
          logger: createLogger({ name: 'agent', level: 'silent' }),
          tickMs: 100,
        };
        const supervisor = await startShardSupervisor(deps);
        cleanups.push(() => supervisor.stop());
      }
      const running = (plan: ShardPlan) =>
        pollFor(
          async () => {
            const json = await redis.hget(keys.shardReports, String(plan.shard_uid));
            return json ? (JSON.parse(json) as ShardReport) : undefined;
          },
          r => r?.state === 'running' && r.plan_digest === shardPlanDigest(plan),
          `shard ${plan.shard_uid} running`,
          { timeoutMs: 30_000, intervalMs: 50 },
        );
      await running(master);
      await running(replica);
      const client = new Redis({ host: '127.0.0.1', port: masterPort });
      cleanups.push(() => Promise.resolve(client.disconnect()));
      const fill = client.pipeline();
      for (let i = 0; i < KEYS; i++) fill.set(`k:${i}`, 'x'.repeat(1024));
      await fill.exec();
      expect(await client.call('WAIT', '1', '10000')).toBe(1);
      const before = await shardInfo(masterPort, 'stats');

      const restarted: ShardPlan = { ...replica, memory_size: 512 * 1024 * 1024 };
      await redis.hset(keys.nodeShards(2), String(replica.shard_uid), JSON.stringify(restarted));
      await running(restarted);
      await client.set('after', '1');
      expect(await client.call('WAIT', '1', '10000')).toBe(1);

      const after = await shardInfo(masterPort, 'stats');
      expect([Number(after.sync_full), Number(after.sync_partial_ok)]).toEqual([
        Number(before.sync_full),
        Number(before.sync_partial_ok) + 1,
      ]);
      expect((await shardInfo(replica.port, 'keyspace')).db0).toContain(`keys=${KEYS + 1},`);
      const persisted = await shardInfo(replica.port, 'persistence');
      expect(persisted.aof_enabled).toBe(persistence === 'aof' ? '1' : '0');
      // Without persistence the data saved for the restart is not left on disk.
      expect(await exists(join(dataDirs[1]!, 'shards', '1', 'dump.rdb'))).toBe(persistence === 'snapshot');
    },
    90_000,
  );
});
