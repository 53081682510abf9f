import { runUpgrade, type ShardAddress } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';
import { entryOf } from './bdb-upgrade-harness.js';
import { setupRunner as setup, to, v100, v110 } from './upgrade-runner-harness.js';

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
      const written = await replan(record);
      if (port === 12000) master.partialOk++;
      else master.full++;
      return written;
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
