import { createLogger } from '@modfleet/common';
import { closeOrphanedUpgrades, runUpgrade, type BdbRecord, type UpgradeJobState } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';
import { entryOf } from './bdb-upgrade-harness.js';
import { setupRunner, v100, v110 } from './upgrade-runner-harness.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const onNew = (plan: { modules: { version: number }[] }) => plan.modules[0]!.version === 10100;

/** The sweep over the fake store, the queue holding `job` for action a1 (undefined: no job). */
const sweep = (store: Parameters<typeof closeOrphanedUpgrades>[0]['store'], job?: UpgradeJobState) =>
  closeOrphanedUpgrades({ store, jobs: { find: () => Promise.resolve(job) }, logger });

const plansOf = async (store: { plans(node: number): Promise<Map<number, unknown>> }) => [
  ...(await store.plans(1)).values(),
  ...(await store.plans(2)).values(),
];

describe('the orphan sweep over upgrades (fakes)', () => {
  it('ends an upgrade whose job failed for good mid roll-back, saying the shards are not on one version', async () => {
    const { store, job, deps, begin, faults } = setupRunner({
      refuse: plan => (onNew(plan) ? 'mfver: out of memory' : undefined),
    });
    await begin();
    // Redis went away as the roll-back began: every attempt failed from there on.
    faults.dieAtState('rollback');
    await expect(runUpgrade(deps, job)).rejects.toThrow('the coordinator died');
    const plans = await plansOf(store);

    const closed = await sweep(store, { state: 'failed', attemptsMade: 5, failedReason: 'Connection is closed.' });

    const machine = (await store.stateMachine('a1'))!;
    expect(closed).toBe(1);
    expect(machine.status).toBe('failed');
    expect(machine.error).toBe('its job failed 5 time(s), the last: Connection is closed.');
    const last = machine.states!.at(-1)!;
    expect(last.state).toBe('failed');
    expect(last.detail).toContain('the shards are not on one version');
    expect(last.detail).toContain('shard 1 on node 1 (master) on mfver 1.0.0');
    expect(last.detail).toContain('shard 2 on node 2 (replica) on mfver 1.1.0');
    expect(last.detail).toContain(
      'shard 2 on node 2 is not running that plan yet (its agent: failed: mfver: out of memory)',
    );
    const record = (await store.get(1))!;
    expect(record.status).toBe('active');
    expect(record.action_uid).toBeUndefined();
    expect(record.module_list).toEqual([entryOf(v100)]);
    // Nothing restarted: the nodes are asked to run what they were.
    expect(await plansOf(store)).toEqual(plans);
  });

  it('ends an upgrade whose job is gone with the database active on the version every shard runs', async () => {
    const { store, job, deps, begin, faults } = setupRunner();
    await begin();
    // The coordinator died right after the switch's plans were written; then the job was lost.
    faults.dieWhen = (call, arg) =>
      call === 'replan' && (arg as BdbRecord).placement.some(s => s.plan.shard_uid === 2 && s.plan.role === 'master');
    await expect(runUpgrade(deps, job)).rejects.toThrow('the coordinator died');
    expect((await store.get(1))?.status).toBe('active-change-pending');

    expect(await sweep(store, undefined)).toBe(1);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine.status).toBe('failed');
    expect(machine.error).toContain('its job is gone');
    expect(machine.states!.at(-1)?.detail).toBe(
      "stopped, nothing restarted since: every shard on mfver 1.1.0 (the upgrade's target)",
    );
    const record = (await store.get(1))!;
    expect(record.status).toBe('active');
    expect(record.module_list).toEqual([entryOf(v110)]);
  });

  it('leaves an upgrade whose job is queued, running or waiting to retry alone', async () => {
    const { store, begin } = setupRunner();
    await begin();
    for (const state of ['waiting', 'active', 'delayed']) {
      expect(await sweep(store, { state, attemptsMade: 1 })).toBe(0);
    }
    expect((await store.stateMachine('a1'))?.status).toBe('active');
    expect((await store.get(1))?.status).toBe('active-change-pending');
  });

  it('ends an upgrade whose database was deleted, saying so', async () => {
    const { store, begin } = setupRunner();
    await begin();
    const record = (await store.get(1))!;
    await store.withdraw({ ...record, status: 'delete-pending', action_uid: 'd1' });

    expect(await sweep(store, undefined)).toBe(1);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine.status).toBe('failed');
    expect(machine.error).toContain('database 1 was deleted during the upgrade');
    expect((await store.get(1))?.status).toBe('delete-pending');
  });
});

describe('runUpgrade of a database deleted mid-upgrade (fakes)', () => {
  it('ends the machine saying so and brings neither the database nor its shards back', async () => {
    const { store, job, deps, begin } = setupRunner();
    await begin();
    const save = store.saveStateMachine.bind(store);
    store.saveStateMachine = async machine => {
      await save(machine);
      // DELETE /v1/bdbs/1 lands as the replica is about to restart on the new version.
      if (machine.state === 'restart') {
        const record = (await store.get(1))!;
        if (record.status !== 'delete-pending') {
          await store.withdraw({ ...record, status: 'delete-pending', action_uid: 'd1' });
        }
      }
    };

    await runUpgrade(deps, job);

    const machine = (await store.stateMachine('a1'))!;
    expect(machine.status).toBe('failed');
    expect(machine.error).toBe('database 1 was deleted during the upgrade; the upgrade stopped there');
    expect(machine.states!.map(s => s.state)).toEqual(['init', 'prepare', 'check_slaves', 'restart', 'failed']);
    expect((await store.get(1))?.status).toBe('delete-pending');
    expect(await plansOf(store)).toEqual([]);
  });
});
