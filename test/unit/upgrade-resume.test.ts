import { runUpgrade } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';
import { bdbRecord, entryOf } from './bdb-upgrade-harness.js';
import { from, setupRunner, to, v100, v110 } from './upgrade-runner-harness.js';

const onNew = (plan: { modules: { version: number }[] }) => plan.modules[0]!.version === 10100;

describe('runUpgrade resumed after its coordinator died (fakes)', () => {
  it('lists each state once, says where it was resumed, and completes', async () => {
    const { store, job, deps, begin, faults } = setupRunner();
    await begin();
    faults.dieAtState('failover');
    await expect(runUpgrade(deps, job)).rejects.toThrow('the coordinator died');
    faults.revive();

    await runUpgrade(deps, job);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine.status, machine.error).toBe('completed');
    expect(machine.states!.map(s => s.state)).toEqual([
      'init',
      'prepare',
      'check_slaves',
      'restart',
      'failover',
      'restart',
      'completed',
    ]);
    expect(machine.states!.find(s => s.state === 'failover')?.detail).toContain('resumed here');
    expect((await store.get(1))?.placement.map(s => s.plan.modules[0]!.version)).toEqual([10100, 10100]);
  });

  it('goes on rolling back after a failure even when the new version would now start', async () => {
    const { store, job, deps, begin, faults } = setupRunner({
      refuse: plan => (onNew(plan) ? 'mfver: out of memory' : undefined),
    });
    await begin();
    faults.dieAtState('rollback');
    await expect(runUpgrade(deps, job)).rejects.toThrow('the coordinator died');
    // The replica is on the new version (failed), the roll-back began: then the failure goes away.
    faults.revive();
    faults.refuse = undefined;

    await runUpgrade(deps, job);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('out of memory') as string,
      heading: { toward: 'from' },
    });
    expect(machine.states!.map(s => s.state)).toEqual([
      'init',
      'prepare',
      'check_slaves',
      'restart',
      'rollback',
      'failed',
    ]);
    expect(machine.states!.at(-1)?.detail).toBe('rolled back: every shard on mfver 1.0.0');
    const record = (await store.get(1))!;
    expect(record.status).toBe('active');
    expect(record.module_list).toEqual([entryOf(v100)]);
    expect(record.placement.map(s => s.plan.modules[0]!.version)).toEqual([10000, 10000]);
  });

  it('goes on rolling forward when the master already ran the new version', async () => {
    // The old master cannot restart on the new version once demoted: the switch already happened.
    let switched = false;
    const { store, job, deps, begin, faults } = setupRunner({
      refuse: plan => (switched && onNew(plan) && plan.role === 'slave' ? 'mfver: disk full' : undefined),
    });
    await begin();
    const replan = store.replan.bind(store);
    store.replan = async record => {
      switched ||= record.placement.some(s => s.plan.shard_uid === 2 && s.plan.role === 'master');
      return replan(record);
    };
    faults.dieAtState('rollforward');
    await expect(runUpgrade(deps, job)).rejects.toThrow('the coordinator died');
    faults.revive();
    faults.refuse = undefined;

    await runUpgrade(deps, job);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine).toMatchObject({ status: 'failed', heading: { toward: 'to' } });
    expect(machine.states!.at(-1)?.detail).toBe('rolled forward: every shard on mfver 1.1.0');
    expect((await store.get(1))?.placement.map(s => s.plan.modules[0]!.version)).toEqual([10100, 10100]);
  });

  it('goes on with a db rollback (to the previous versions) where it stopped', async () => {
    const { store, job, deps, begin, faults } = setupRunner({ record: bdbRecord(v110) });
    const rollback = {
      ...job,
      from: to,
      to: from,
      changes: [{ module_name: 'mfver', from: entryOf(v110), to: entryOf(v100) }],
    };
    await begin();
    faults.dieAtState('restart');
    await expect(runUpgrade(deps, rollback)).rejects.toThrow('the coordinator died');
    faults.revive();

    await runUpgrade(deps, rollback);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine.status, machine.error).toBe('completed');
    expect(machine.states!.filter(s => s.state === 'restart')).toHaveLength(2);
    expect(machine.states!.filter(s => s.state === 'prepare')).toHaveLength(1);
    expect((await store.get(1))?.module_list).toEqual([entryOf(v100)]);
    expect((await store.get(1))?.placement.map(s => s.plan.modules[0]!.version)).toEqual([10000, 10000]);
  });

  it('ends the machine once the record was settled, leaving a change begun since alone', async () => {
    const { store, job, deps, begin, faults } = setupRunner();
    await begin();
    faults.dieWhen = (call, arg) => call === 'save' && (arg as { status?: string }).status === 'active';
    await expect(runUpgrade(deps, job)).rejects.toThrow('the coordinator died');
    expect((await store.stateMachine('a1'))?.status).toBe('active');
    // The database is active again: someone begins the next upgrade before the job is taken over.
    const next = { ...(await store.get(1))!, status: 'active-change-pending' as const, action_uid: 'a2' };
    await store.save(next);
    faults.revive();

    await runUpgrade(deps, job);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine.status, machine.error).toBe('completed');
    expect(machine.states!.map(s => s.state)).toEqual([
      'init',
      'prepare',
      'check_slaves',
      'restart',
      'failover',
      'restart',
      'completed',
    ]);
    expect(await store.get(1)).toEqual(next);
  });
});

describe('runUpgrade of a job queued before its change began (fakes)', () => {
  it('waits for the route to begin the change, then runs it', async () => {
    const { store, job, deps, create, beginChange } = setupRunner();
    await create();
    const run = runUpgrade({ ...deps, beginWaitMs: 5_000 }, job);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(await beginChange()).toBe(true);

    await run;

    expect((await store.stateMachine('a1'))?.status).toBe('completed');
    expect((await store.get(1))?.module_list).toEqual([entryOf(v110)]);
  });

  it('gives up a change never begun (its request died or was refused): nothing listed, a late begin refused', async () => {
    const { store, job, deps, create, beginChange } = setupRunner();
    await create();

    await runUpgrade({ ...deps, beginWaitMs: 30 }, job);

    // Nobody was handed its action uid: no failed action shows up in the list after a 409.
    expect(await store.stateMachine('a1')).toBeUndefined();
    expect((await store.stateMachines()).map(m => m.name)).toEqual(['SMCreateBDB']);
    expect(await beginChange()).toBe(false);
    const record = (await store.get(1))!;
    expect(record.status).toBe('active');
    expect(record.action_uid).toBeUndefined();
    expect(record.placement.map(s => s.plan.modules[0]!.version)).toEqual([10000, 10000]);
  });
});
