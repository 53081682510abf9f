import type { ShardReport, StateMachineObject } from '@modfleet/common';
import { pickedPort, type BdbRecord, type BdbStore } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';

/** A store and a way to play the agents' part: write (or clear) one shard's report. */
export interface BdbStoreUnderTest {
  store: BdbStore;
  report(shardUid: number, report: ShardReport | undefined): Promise<void>;
}

export function bdbRecord(uid: number, port: number, shardUids: number[], nodes: number[]): BdbRecord {
  const stamp = '2026-12-07T00:00:00.000Z';
  return {
    uid,
    name: `db-${uid}`,
    type: 'redis',
    status: 'pending',
    memory_size: 1024,
    port: 0,
    endpoints: [
      {
        uid: `${uid}:1`,
        addr: ['127.0.0.1'],
        addr_type: 'external',
        dns_name: '127.0.0.1',
        port,
        proxy_policy: 'single',
      },
    ],
    module_list: [],
    redis_version: '7.0',
    version: '7.0.15',
    replication: shardUids.length > 1,
    data_persistence: 'disabled',
    shards_count: 1,
    sharding: false,
    shards_placement: 'dense',
    shard_list: shardUids,
    created_time: stamp,
    last_changed_time: stamp,
    action_uid: `create-${uid}`,
    placement: shardUids.map((shard, i) => ({
      node_uid: nodes[i]!,
      plan: {
        shard_uid: shard,
        bdb_uid: uid,
        role: i === 0 ? 'master' : 'slave',
        port: port + i,
        memory_size: 1024,
        data_persistence: 'disabled',
        modules: [],
      },
    })),
  };
}

/** A bdb whose ports the store picks: the master's (the endpoint's, the replica's master) and the replica's. */
export function pickedPortsRecord(uid: number, shardUids: number[], nodes: number[]): BdbRecord {
  const record = bdbRecord(uid, 0, shardUids, nodes);
  return {
    ...record,
    endpoints: record.endpoints.map(e => ({ ...e, port: pickedPort(1) })),
    placement: record.placement.map(({ node_uid, plan }, i) => ({
      node_uid,
      plan: {
        ...plan,
        port: pickedPort(i + 1),
        ...(i > 0 && { replica_of: { host: '127.0.0.1', port: pickedPort(1) } }),
      },
    })),
  };
}

export const machineOf = (record: BdbRecord, name: StateMachineObject['name'] = 'SMCreateBDB'): StateMachineObject => ({
  action_uid: record.action_uid!,
  name,
  object_name: `bdb:${record.uid}`,
  status: 'active',
  progress: 0,
  heartbeat: 1,
  creation_time: 1,
});

const running = (node: number): ShardReport => ({
  node_uid: node,
  state: 'running',
  updated_at: '2026-12-07T00:00:01Z',
});

/** What every BdbStore does, the Redis one and the fake alike. */
export function bdbStoreContract(name: string, make: () => BdbStoreUnderTest) {
  describe(`${name}: BdbStore contract`, () => {
    it('hands out sequential uids, after any uid a client chose, and fresh shard uids', async () => {
      const { store } = make();
      expect(await store.nextUid()).toBe(1);
      await store.claimUid(7);
      expect(await store.nextUid()).toBe(8);
      expect(await store.nextShardUids(2)).toEqual([1, 2]);
      expect(await store.nextShardUids(1)).toEqual([3]);
    });

    it('stores a bdb with its ports, its state machine and each node’s shard plan', async () => {
      const { store } = make();
      const record = bdbRecord(1, 12000, [1, 2], [1, 2]);
      await store.create(record, machineOf(record));
      expect(await store.get(1)).toEqual(record);
      expect(await store.list()).toEqual([record]);
      expect(await store.usedPorts()).toEqual(new Set([12000, 12001]));
      expect([...(await store.plans(1)).values()]).toEqual([record.placement[0]!.plan]);
      expect([...(await store.plans(2)).values()]).toEqual([record.placement[1]!.plan]);
      expect(await store.stateMachine('create-1')).toEqual(machineOf(record));
      expect(await store.stateMachines()).toEqual([machineOf(record)]);
    });

    it('refuses a taken uid (409) or a taken port (406) and then writes nothing', async () => {
      const { store } = make();
      const first = bdbRecord(1, 12000, [1], [1]);
      await store.create(first, machineOf(first));
      await expect(
        store.create(bdbRecord(1, 13000, [2], [2]), machineOf(bdbRecord(1, 13000, [2], [2]))),
      ).rejects.toMatchObject({
        status: 409,
        code: 'uid_exists',
      });
      const clash = { ...bdbRecord(2, 11999, [3, 4], [2, 3]), action_uid: 'create-2' };
      await expect(store.create(clash, machineOf(clash))).rejects.toMatchObject({
        status: 406,
        code: 'port_unavailable',
      });
      expect((await store.list()).map(r => r.uid)).toEqual([1]);
      expect(await store.usedPorts()).toEqual(new Set([12000]));
      expect((await store.plans(2)).size).toBe(0);
      expect((await store.plans(3)).size).toBe(0);
      expect(await store.stateMachine('create-2')).toBeUndefined();
    });

    it('picks the first free ports of the range for the ports left to it, in the create itself', async () => {
      const { store } = make();
      const first = bdbRecord(1, 12001, [1], [1]);
      await store.create(first, machineOf(first));
      const picked = pickedPortsRecord(2, [2, 3], [1, 2]);
      const stored = await store.create(picked, machineOf(picked), [[12000, 12009]]);

      expect(stored.endpoints[0]!.port).toBe(12000);
      expect(stored.placement.map(s => s.plan.port)).toEqual([12000, 12002]);
      expect(stored.placement[1]!.plan.replica_of).toEqual({ host: '127.0.0.1', port: 12000 });
      expect(await store.get(2)).toEqual(stored);
      expect([...(await store.plans(2)).values()]).toEqual([stored.placement[1]!.plan]);
      expect(await store.usedPorts()).toEqual(new Set([12000, 12001, 12002]));
    });

    it('gives concurrent creates distinct ports, and refuses those the range cannot hold', async () => {
      const { store } = make();
      const records = Array.from({ length: 8 }, (_, i) => pickedPortsRecord(i + 1, [2 * i + 1, 2 * i + 2], [1, 2]));
      const outcomes = await Promise.allSettled(records.map(r => store.create(r, machineOf(r), [[12000, 12009]])));

      const stored = outcomes.flatMap(o => (o.status === 'fulfilled' ? [o.value] : []));
      const refused = outcomes.flatMap(o =>
        o.status === 'rejected' ? [o.reason as { status: number; code: string }] : [],
      );
      expect(stored).toHaveLength(5);
      expect(refused.map(({ status, code }) => [status, code])).toEqual(
        refused.map(() => [406, 'insufficient_resources']),
      );
      const ports = stored.flatMap(r => r.placement.map(s => s.plan.port)).sort((a, b) => a - b);
      expect(ports).toEqual([12000, 12001, 12002, 12003, 12004, 12005, 12006, 12007, 12008, 12009]);
      expect((await store.list()).map(r => r.uid)).toEqual(stored.map(r => r.uid).sort((a, b) => a - b));
      expect(await store.usedPorts()).toEqual(new Set(ports));
    });

    it('saves only a bdb that still exists', async () => {
      const { store } = make();
      const record = bdbRecord(1, 12000, [1], [1]);
      await store.save(record);
      expect(await store.get(1)).toBeUndefined();
      await store.create(record, machineOf(record));
      await store.save({ ...record, status: 'active' });
      expect((await store.get(1))?.status).toBe('active');
    });

    it('begins a change of an active bdb only, with its state machine, and replans its nodes together', async () => {
      const { store } = make();
      const record = bdbRecord(1, 12000, [1, 2], [1, 2]);
      await store.create(record, machineOf(record));
      const upgrade = { ...record, status: 'active-change-pending' as const, action_uid: 'up-1' };
      expect(await store.beginChange(upgrade, machineOf(upgrade, 'SMUpgradeBDB'))).toBe(false);
      expect(await store.stateMachine('up-1')).toBeUndefined();
      await store.save({ ...record, status: 'active' });
      expect(await store.beginChange(upgrade, machineOf(upgrade, 'SMUpgradeBDB'))).toBe(true);
      expect((await store.get(1))?.status).toBe('active-change-pending');
      expect((await store.stateMachine('up-1'))?.name).toBe('SMUpgradeBDB');
      expect(await store.beginChange(upgrade, machineOf(upgrade, 'SMUpgradeBDB'))).toBe(false);
      expect(await store.abandonChange('up-1')).toBe(false);
      // A change its job gave up waiting for keeps a late begin out, and leaves no machine to list.
      const late = { ...record, status: 'active-change-pending' as const, action_uid: 'up-2' };
      await store.save({ ...record, status: 'active' });
      expect(await store.abandonChange('up-2')).toBe(true);
      expect(await store.beginChange(late, machineOf(late, 'SMUpgradeBDB'))).toBe(false);
      expect((await store.get(1))?.status).toBe('active');
      expect(await store.stateMachine('up-2')).toBeUndefined();
      expect((await store.stateMachines()).map(m => m.action_uid)).not.toContain('up-2');
      await store.save(upgrade);

      const modules = [{ module_name: 'mfver', version: 10100, module_args: '' }];
      const replanned = { ...upgrade, placement: upgrade.placement.map(s => ({ ...s, plan: { ...s.plan, modules } })) };
      expect(await store.replan(replanned)).toBe(true);
      expect((await store.get(1))?.placement[1]?.plan.modules).toEqual(modules);
      expect((await store.plans(2)).get(2)?.modules).toEqual(modules);

      // A delete took the database: a late step of the upgrade brings neither it nor its shards back.
      await store.withdraw({ ...replanned, status: 'delete-pending', action_uid: 'delete-1' });
      expect(await store.replan(replanned)).toBe(false);
      expect((await store.get(1))?.status).toBe('delete-pending');
      expect((await store.plans(1)).size).toBe(0);
      expect((await store.plans(2)).size).toBe(0);
    });

    it('reads the agents’ reports, withdraws the shards, then forgets the bdb, its ports, reports and delete action', async () => {
      const tested = make();
      const { store } = tested;
      const record = bdbRecord(1, 12000, [1, 2], [1, 2]);
      await store.create(record, machineOf(record));
      await tested.report(1, running(1));
      expect(await store.reports([1, 2])).toEqual(new Map([[1, running(1)]]));

      const deleting = { ...record, status: 'delete-pending' as const, action_uid: 'delete-1' };
      await store.withdraw(deleting, machineOf(deleting, 'SMDeleteBDB'));
      expect((await store.plans(1)).size).toBe(0);
      expect((await store.plans(2)).size).toBe(0);
      expect((await store.get(1))?.status).toBe('delete-pending');
      expect((await store.stateMachine('delete-1'))?.name).toBe('SMDeleteBDB');

      await store.remove(deleting);
      expect(await store.get(1)).toBeUndefined();
      expect(await store.usedPorts()).toEqual(new Set());
      expect(await store.reports([1, 2])).toEqual(new Map());
      expect(await store.stateMachine('delete-1')).toBeUndefined();
      expect(await store.stateMachine('create-1')).toBeDefined();
    });
  });
}
