import { createLogger, shardPlanDigest, type NodeView, type ShardPlan } from '@modfleet/common';
import {
  runUpgrade,
  type BdbRecord,
  type ShardAddress,
  type ShardControl,
  type UpgradeJobData,
} from '@modfleet/coordinator';
import { createFakeBdbStore, type FakeBdbStore } from '@modfleet/coordinator/testing';
import { describe, expect, it } from 'vitest';
import { bdbRecord, entryOf, MFVER } from './bdb-upgrade-harness.js';

const [v100, v110] = MFVER as [(typeof MFVER)[0], (typeof MFVER)[0]];
const from = [{ module_name: 'mfver', version: 10000, module_args: '' }];
const to = [{ module_name: 'mfver', version: 10100, module_args: '' }];

/** Shards by port: their role and offset, as the fake ShardControl and the fake agents keep them. */
interface FakeShard {
  role: 'master' | 'slave';
  offset: number;
}

/**
 * The runner on fakes: the store's replan plays the agents (each plan reported running under its
 * digest, or failed when `refuse` says so), ShardControl keeps roles and offsets.
 */
function setup(options: { refuse?: (plan: ShardPlan) => string | undefined; record?: BdbRecord } = {}) {
  const store: FakeBdbStore = createFakeBdbStore();
  const shards = new Map<number, FakeShard>([
    [12000, { role: 'master', offset: 100 }],
    [12001, { role: 'slave', offset: 100 }],
  ]);
  const calls: string[] = [];
  const agentsRun = (record: BdbRecord) => {
    for (const { node_uid, plan } of record.placement) {
      const error = options.refuse?.(plan);
      store.report(plan.shard_uid, {
        node_uid,
        state: error ? 'failed' : 'running',
        plan_digest: shardPlanDigest(plan),
        updated_at: '',
        ...(error && { error }),
      });
    }
  };
  const replan = store.replan.bind(store);
  store.replan = async record => {
    await replan(record);
    agentsRun(record);
  };
  const control: ShardControl = {
    replication: ({ port }: ShardAddress) => {
      const shard = shards.get(port)!;
      return Promise.resolve({ role: shard.role, offset: shard.offset, linkUp: shard.role === 'slave' });
    },
    pauseWrites: ({ port }) => {
      calls.push(`pause ${port}`);
      return Promise.resolve();
    },
    unpause: () => Promise.resolve(),
    replicaOf: ({ port }, of) => {
      calls.push(of ? `replicaof ${port} ${of.port}` : `promote ${port}`);
      shards.get(port)!.role = of ? 'slave' : 'master';
      return Promise.resolve();
    },
    demote: (shard, of) => control.replicaOf(shard, of),
  };
  const nodes = {
    list: () => Promise.resolve([1, 2].map(uid => ({ uid, url: `https://127.0.0.${uid + 1}:9443` }) as NodeView)),
  };
  const record = options.record ?? bdbRecord(v100);
  const job: UpgradeJobData = {
    action_uid: 'a1',
    bdb_uid: 1,
    master_shard: 1,
    from,
    to,
    changes: [{ module_name: 'mfver', from: entryOf(v100), to: entryOf(v110) }],
    preserve_roles: false,
    rollback: 'possible',
  };
  const deps = {
    store,
    shards: control,
    nodes,
    logger: createLogger({ name: 'test', level: 'silent' }),
    pollMs: 1,
    stepTimeoutMs: 200,
  };
  const begin = async () => {
    await store.create(record, {
      action_uid: 'c',
      name: 'SMCreateBDB',
      object_name: 'bdb:1',
      status: 'completed',
      progress: 100,
      heartbeat: 0,
      creation_time: 0,
    });
    agentsRun(record);
    await store.beginChange(
      { ...record, status: 'active-change-pending', action_uid: 'a1' },
      {
        action_uid: 'a1',
        name: 'SMUpgradeBDB',
        object_name: 'bdb:1',
        status: 'active',
        progress: 0,
        heartbeat: 0,
        creation_time: 0,
        states: [{ state: 'init', at: 0 }],
      },
    );
  };
  return { store, shards, calls, job, deps, begin };
}

describe('runUpgrade (SMUpgradeBDB) on fakes', () => {
  it('restarts the replica, fails over, restarts the old master, then records the upgrade', async () => {
    const { store, calls, job, deps, begin } = setup();
    await begin();

    await runUpgrade(deps, job);

    const machine = await store.stateMachine('a1');
    expect(machine?.status, machine?.error).toBe('completed');
    expect(machine?.states?.map(s => s.state)).toEqual([
      'init',
      'prepare',
      'check_slaves',
      'restart',
      'failover',
      'restart',
      'completed',
    ]);
    expect(calls).toEqual(['pause 12000', 'promote 12001', 'replicaof 12000 12001']);
    const record = (await store.get(1))!;
    expect(record).toMatchObject({
      status: 'active',
      module_list: [entryOf(v110)],
      last_upgrade: { rollback: 'possible' },
    });
    expect(record.action_uid).toBeUndefined();
    expect(record.endpoints[0]).toMatchObject({ addr: ['127.0.0.3'], port: 12001 });
    expect(record.placement.map(s => [s.plan.role, s.plan.modules[0]!.version])).toEqual([
      ['slave', 10100],
      ['master', 10100],
    ]);
  });

  it('notes on each restart state how the restarted replica resynced, as its master’s sync counters say', async () => {
    const { store, job, deps, begin } = setup();
    await begin();
    // Each new plan restarts a replica: its master answers a PSYNC (12000) or sends a full copy (12001).
    const counters = new Map([12000, 12001].map(port => [port, { full: 0, partialOk: 0 }]));
    const replan = store.replan.bind(store);
    store.replan = async record => {
      const port = record.placement.find(s => s.plan.role === 'master')!.plan.port;
      const master = counters.get(port)!;
      await replan(record);
      if (port === 12000) master.partialOk++;
      else master.full++;
    };
    const shards = {
      ...deps.shards,
      syncCounters: ({ port }: ShardAddress) => Promise.resolve({ ...counters.get(port)! }),
    };

    await runUpgrade({ ...deps, shards }, job);

    const restarts = (await store.stateMachine('a1'))?.states?.filter(s => s.state === 'restart');
    expect(restarts?.map(s => s.detail)).toEqual([
      'shard 2 on node 2 (replica) on mfver 1.1.0; resynced partially (+CONTINUE) from the data it saved at shutdown',
      'shard 1 on node 1 (the old master, now a replica) on mfver 1.1.0; resynced fully (the master sent a full copy)',
    ]);
  });

  it('rolls back to the old version when the replica cannot start on the new one, active and failed with the words', async () => {
    const { store, job, deps, begin } = setup({
      refuse: plan => (plan.modules[0]!.version === 10100 ? "mfver: unknown argument 'LABLE'" : undefined),
    });
    await begin();

    await runUpgrade(deps, job);

    const machine = await store.stateMachine('a1');
    expect(machine).toMatchObject({
      status: 'failed',
      error: expect.stringContaining("unknown argument 'LABLE'") as string,
    });
    expect(machine?.states?.at(-1)).toMatchObject({
      state: 'failed',
      detail: 'rolled back: every shard on mfver 1.0.0',
    });
    const record = (await store.get(1))!;
    expect(record.status).toBe('active');
    expect(record.module_list).toEqual([entryOf(v100)]);
    expect(record.placement.map(s => s.plan.modules[0]!.version)).toEqual([10000, 10000]);
  });

  it('resumes a failover a dead coordinator left after the promotion without pausing the writes again', async () => {
    const { store, shards, calls, job, deps, begin } = setup();
    await begin();
    const record = (await store.get(1))!;
    await store.replan({
      ...record,
      placement: record.placement.map(s => (s.plan.role === 'slave' ? { ...s, plan: { ...s.plan, modules: to } } : s)),
    });
    shards.get(12001)!.role = 'master'; // REPLICAOF NO ONE happened, then the coordinator died

    await runUpgrade(deps, job);

    expect(calls).toEqual(['replicaof 12000 12001']);
    expect((await store.stateMachine('a1'))?.status).toBe('completed');
    expect((await store.get(1))?.module_list).toEqual([entryOf(v110)]);
  });
});
