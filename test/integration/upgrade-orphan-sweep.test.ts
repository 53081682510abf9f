/**
 * Upgrades a crash left with no job to finish them: the orphan sweep ends them on real Redis and
 * BullMQ, from the state a SIGKILLed coordinator leaves (a bdb record mid-upgrade and its active
 * machine); no shard runs, the agents' reports are written as they would be.
 */
import {
  createLogger,
  shardPlanDigest,
  type NodeView,
  type ShardModule,
  type StateMachineObject,
} from '@modfleet/common';
import {
  closeOrphanedUpgrades,
  createRedisBdbStore,
  queuedUpgradeJobs,
  startUpgradeWorker,
  UPGRADE_QUEUE,
  type BdbRecord,
  type BdbStore,
} from '@modfleet/coordinator';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { openQueueRedis } from '../helpers/redis.js';
import { bdbRecord, entryOf, MFVER } from '../unit/bdb-upgrade-harness.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const [v100, v110] = MFVER as [(typeof MFVER)[0], (typeof MFVER)[0]];
const newModules: ShardModule[] = [{ module_name: 'mfver', version: 10100, module_args: '' }];

/** Database `uid` with shards `uid*10+1` (master) and `uid*10+2`, on ports of its own. */
function database(uid: number): BdbRecord {
  const base = bdbRecord(v100);
  const port = 12000 + uid * 10;
  return {
    ...base,
    uid,
    shard_list: [uid * 10 + 1, uid * 10 + 2],
    endpoints: base.endpoints.map(e => ({ ...e, uid: `${uid}:1`, port })),
    placement: base.placement.map((s, i) => ({
      ...s,
      plan: {
        ...s.plan,
        shard_uid: uid * 10 + 1 + i,
        bdb_uid: uid,
        port: port + i,
        ...(s.plan.replica_of && { replica_of: { ...s.plan.replica_of, port } }),
      },
    })),
  };
}

/** The database created, its shards reported running, and an upgrade of it begun (as the route leaves it). */
async function upgrading(store: BdbStore, redis: Redis, reportsKey: string, uid: number): Promise<BdbRecord> {
  const record = database(uid);
  const at = Math.floor(Date.now() / 1000);
  const machine = (action_uid: string, name: StateMachineObject['name']): StateMachineObject => ({
    action_uid,
    name,
    object_name: `bdb:${uid}`,
    status: name === 'SMCreateBDB' ? 'completed' : 'active',
    progress: 0,
    heartbeat: at,
    creation_time: at,
  });
  await store.create(record, machine(`create-${uid}`, 'SMCreateBDB'));
  const changing = { ...record, status: 'active-change-pending' as const, action_uid: `upgrade-${uid}` };
  const begun = await store.beginChange(changing, {
    ...machine(`upgrade-${uid}`, 'SMUpgradeBDB'),
    state: 'prepare',
    states: [{ state: 'prepare', at }],
    modules: [{ module_name: 'mfver', from: entryOf(v100), to: entryOf(v110) }],
  });
  expect(begun).toBe(true);
  await reportRunning(redis, reportsKey, changing);
  return changing;
}

async function reportRunning(redis: Redis, reportsKey: string, record: BdbRecord) {
  for (const { node_uid, plan } of record.placement) {
    const report = { node_uid, state: 'running', plan_digest: shardPlanDigest(plan), updated_at: '' };
    await redis.hset(reportsKey, String(plan.shard_uid), JSON.stringify(report));
  }
}

describe('the orphan sweep over upgrades (real Redis and BullMQ)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('ends an upgrade whose job is gone or failed for good, and leaves one whose job waits', async () => {
    const { keys, redis, connection, close } = openQueueRedis('upgrade-orphans');
    closers.push(close);
    const store = createRedisBdbStore(redis, keys);
    const queue = new Queue(UPGRADE_QUEUE, { connection, prefix: keys.queuePrefix });
    closers.push(() => queue.close());

    // 1: the coordinator died once the replica ran the new version, and the job was lost with it.
    const gone = await upgrading(store, redis, keys.shardReports, 1);
    const replicaOnNew = {
      ...gone,
      placement: gone.placement.map(s =>
        s.plan.role === 'slave' ? { ...s, plan: { ...s.plan, modules: newModules } } : s,
      ),
    };
    expect(await store.replan(replicaOnNew)).toBe(true);
    await reportRunning(redis, keys.shardReports, replicaOnNew);
    // 2: every attempt of its job failed (Redis down through the roll-back), the last one too.
    await upgrading(store, redis, keys.shardReports, 2);
    const worker = new Worker(UPGRADE_QUEUE, () => Promise.reject(new Error('Connection is closed.')), {
      connection,
      prefix: keys.queuePrefix,
    });
    closers.push(() => worker.close(true));
    await queue.add('upgrade', { action_uid: 'upgrade-2' }, { jobId: 'upgrade-2', attempts: 1 });
    await pollFor(
      async () => (await queue.getJob('upgrade-2'))?.getState(),
      state => state === 'failed',
      'the job to fail its only attempt',
    );
    // 3: its job waits to retry.
    await upgrading(store, redis, keys.shardReports, 3);
    await queue.add('upgrade', { action_uid: 'upgrade-3' }, { jobId: 'upgrade-3', delay: 60_000 });

    const closed = await closeOrphanedUpgrades({ store, jobs: queuedUpgradeJobs(queue), logger });

    expect(closed).toBe(2);
    const first = (await store.stateMachine('upgrade-1'))!;
    expect(first.status).toBe('failed');
    expect(first.error).toContain('its job is gone');
    expect(first.states!.at(-1)?.detail).toContain(
      'the shards are not on one version: shard 11 on node 1 (master) on mfver 1.0.0, shard 12 on node 2 (replica) on mfver 1.1.0',
    );
    expect(await store.get(1)).toMatchObject({ status: 'active', module_list: [entryOf(v100)] });
    expect((await store.get(1))?.action_uid).toBeUndefined();

    const second = (await store.stateMachine('upgrade-2'))!;
    expect(second.status).toBe('failed');
    expect(second.error).toBe('its job failed 1 time(s), the last: Connection is closed.');
    expect(second.states!.at(-1)?.detail).toBe(
      'stopped, nothing restarted since: every shard on mfver 1.0.0 (the versions before it)',
    );
    expect(await store.get(2)).toMatchObject({ status: 'active', module_list: [entryOf(v100)] });

    expect((await store.stateMachine('upgrade-3'))?.status).toBe('active');
    expect((await store.get(3))?.status).toBe('active-change-pending');
  });

  it('ends the upgrade as soon as its job fails its last attempt', async () => {
    const { keys, redis, connection, close } = openQueueRedis('upgrade-gives-up');
    closers.push(close);
    const store = createRedisBdbStore(redis, keys);
    const record = await upgrading(store, redis, keys.shardReports, 4);
    const down = () => Promise.reject(new Error('Connection is closed.'));
    const upgrades = startUpgradeWorker({
      connection,
      queuePrefix: keys.queuePrefix,
      // Writing the plans fails every time (Redis down), through the roll-back too.
      runner: {
        store: { ...store, replan: down },
        shards: { replication: down, pauseWrites: down, unpause: down, replicaOf: down, demote: down },
        nodes: {
          list: () => Promise.resolve([1, 2].map(uid => ({ uid, url: `https://127.0.0.${uid + 1}:9443` }) as NodeView)),
        },
        logger,
        pollMs: 10,
      },
      logger,
      retry: { attempts: 2, delayMs: 10 },
    });
    closers.push(() => upgrades.close());

    await upgrades.enqueue({
      action_uid: 'upgrade-4',
      bdb_uid: 4,
      master_shard: 41,
      from: record.placement[0]!.plan.modules,
      to: newModules,
      changes: [{ module_name: 'mfver', from: entryOf(v100), to: entryOf(v110) }],
      preserve_roles: false,
      rollback: 'possible',
    });

    const machine = await pollFor(
      () => store.stateMachine('upgrade-4'),
      found => found?.status !== 'active',
      'the upgrade to end',
    );
    expect(machine?.status).toBe('failed');
    expect(machine?.error).toBe('its job failed 2 time(s), the last: Connection is closed.');
    expect(machine?.states?.map(s => s.state)).toEqual(['prepare', 'check_slaves', 'restart', 'rollback', 'failed']);
    expect(await store.get(4)).toMatchObject({ status: 'active', module_list: [entryOf(v100)] });
    expect((await store.get(4))?.action_uid).toBeUndefined();
  });
});
