import {
  ConflictError,
  NotAcceptableError,
  portsOf as portsOfRanges,
  type ShardPlan,
  type ShardReport,
  type StateMachineObject,
} from '@modfleet/common';
import {
  pickedPortCount,
  portsExhausted,
  portsOf,
  withPickedPorts,
  type BdbRecord,
  type BdbStore,
} from './bdb-store.js';

/** The in-memory BdbStore unit tests stand on; `report` plays the agents' part. */
export interface FakeBdbStore extends BdbStore {
  report(shardUid: number, report: ShardReport | undefined): void;
}

const copy = <T>(value: T): T => structuredClone(value);

/** The store's methods written synchronously; each becomes async (a throw becomes a rejection). */
type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

function promised<T extends object>(sync: Synchronous<T>): T {
  const entries = Object.entries(sync as Record<string, (...args: unknown[]) => unknown>).map(
    ([name, method]) => [name, (...args: unknown[]) => Promise.resolve().then(() => method(...args))] as const,
  );
  return Object.fromEntries(entries) as T;
}

export function createFakeBdbStore(): FakeBdbStore {
  const bdbs = new Map<number, BdbRecord>();
  const ports = new Map<number, number>();
  const machines = new Map<string, StateMachineObject>();
  const abandoned = new Set<string>();
  const nodePlans = new Map<number, Map<number, ShardPlan>>();
  const reports = new Map<number, ShardReport>();
  let uidSeq = 0;
  let shardSeq = 0;
  const plansOf = (node: number) => nodePlans.get(node) ?? nodePlans.set(node, new Map()).get(node)!;

  const store = promised<BdbStore>({
    nextUid() {
      do uidSeq++;
      while (bdbs.has(uidSeq));
      return uidSeq;
    },
    claimUid(uid) {
      uidSeq = Math.max(uidSeq, uid);
    },
    nextShardUids(count) {
      shardSeq += count;
      return Array.from({ length: count }, (_, i) => shardSeq - count + 1 + i);
    },
    create(given, machine, freePorts = []) {
      if (bdbs.has(given.uid)) throw new ConflictError('uid_exists', `Database uid ${given.uid} already exists`);
      const wanted = portsOf(given).filter(port => port > 0);
      const taken = wanted.find(port => ports.has(port));
      if (taken !== undefined) {
        throw new NotAcceptableError('port_unavailable', `Port ${taken} is already used by another database`);
      }
      const picked: number[] = [];
      const count = pickedPortCount(given);
      for (const port of count > 0 ? portsOfRanges(freePorts) : []) {
        if (!ports.has(port) && !wanted.includes(port)) picked.push(port);
        if (picked.length === count) break;
      }
      if (picked.length < count) throw portsExhausted();
      const record = withPickedPorts(given, picked);
      bdbs.set(record.uid, copy(record));
      for (const port of portsOf(record)) ports.set(port, record.uid);
      machines.set(machine.action_uid, copy(machine));
      for (const { node_uid, plan } of record.placement) plansOf(node_uid).set(plan.shard_uid, copy(plan));
      return copy(record);
    },
    list() {
      return [...bdbs.values()].map(copy).sort((a, b) => a.uid - b.uid);
    },
    get(uid) {
      const record = bdbs.get(uid);
      return record && copy(record);
    },
    save(record) {
      if (bdbs.has(record.uid)) bdbs.set(record.uid, copy(record));
    },
    usedPorts() {
      return new Set(ports.keys());
    },
    reports(shardUids) {
      return new Map(shardUids.filter(uid => reports.has(uid)).map(uid => [uid, copy(reports.get(uid)!)]));
    },
    plans(nodeUid) {
      return new Map([...plansOf(nodeUid)].map(([uid, plan]) => [uid, copy(plan)]));
    },
    withdraw(record, machine) {
      bdbs.set(record.uid, copy(record));
      if (machine) machines.set(machine.action_uid, copy(machine));
      for (const { node_uid, plan } of record.placement) plansOf(node_uid).delete(plan.shard_uid);
    },
    remove(record) {
      bdbs.delete(record.uid);
      if (record.action_uid) machines.delete(record.action_uid);
      for (const port of portsOf(record)) if (ports.get(port) === record.uid) ports.delete(port);
      for (const { plan } of record.placement) reports.delete(plan.shard_uid);
    },
    beginChange(record, machine) {
      if (bdbs.get(record.uid)?.status !== 'active' || machines.has(machine.action_uid)) return false;
      if (abandoned.has(machine.action_uid)) return false;
      bdbs.set(record.uid, copy(record));
      machines.set(machine.action_uid, copy(machine));
      return true;
    },
    replan(record) {
      const stored = bdbs.get(record.uid);
      if (!stored || !record.action_uid || stored.action_uid !== record.action_uid) return false;
      bdbs.set(record.uid, copy(record));
      for (const { node_uid, plan } of record.placement) plansOf(node_uid).set(plan.shard_uid, copy(plan));
      return true;
    },
    stateMachines() {
      return [...machines.values()].map(copy).sort((a, b) => a.creation_time - b.creation_time);
    },
    stateMachine(actionUid) {
      const machine = machines.get(actionUid);
      return machine && copy(machine);
    },
    saveStateMachine(machine) {
      machines.set(machine.action_uid, copy(machine));
    },
    abandonChange(actionUid) {
      if (machines.has(actionUid)) return false;
      abandoned.add(actionUid);
      return true;
    },
  });
  return {
    ...store,
    report(shardUid, report) {
      if (report) reports.set(shardUid, copy(report));
      else reports.delete(shardUid);
    },
  };
}
