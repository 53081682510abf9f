import {
  NotAcceptableError,
  type BdbObject,
  type PortRanges,
  type ShardPlan,
  type ShardReport,
  type StateMachineObject,
} from '@modfleet/common';

/** One shard of a bdb: where it runs and what that node is asked to run. */
export interface ShardPlacement {
  node_uid: number;
  plan: ShardPlan;
}

/** A bdb as the CCS keeps it: the RS object plus where its shards run. */
export interface BdbRecord extends BdbObject {
  placement: ShardPlacement[];
}

/**
 * The CCS's databases, the shard plans each node runs from, the agents' shard reports and the
 * state machines of creates and deletes. Redis and the fake keep the same promises
 * (test/contracts/bdb-store-contract.ts).
 */
export interface BdbStore {
  /** The next free uid (sequential, as RS hands them out). */
  nextUid(): Promise<number>;
  /** A uid the client chose: later sequential uids start after it. */
  claimUid(uid: number): Promise<void>;
  nextShardUids(count: number): Promise<number[]>;
  /**
   * Stores the bdb, holds its ports and hands each node its shard plan, all or nothing, and
   * returns the record as stored. Every port written `pickedPort(n)` (endpoint, plan, replica_of)
   * becomes the n-th of the first free ports of `freePorts`, picked in the same atomic step, so
   * concurrent creates never race for a port. Throws 409 uid_exists, 406 port_unavailable (a
   * given port is held) or 406 insufficient_resources (the range has too few free ports) and
   * then writes nothing.
   */
  create(record: BdbRecord, machine: StateMachineObject, freePorts?: PortRanges): Promise<BdbRecord>;
  list(): Promise<BdbRecord[]>;
  get(uid: number): Promise<BdbRecord | undefined>;
  /** Replaces a bdb's record (its status); nothing when it is gone. */
  save(record: BdbRecord): Promise<void>;
  usedPorts(): Promise<Set<number>>;
  /** The agents' last word on each of these shards (absent: none yet). */
  reports(shardUids: number[]): Promise<Map<number, ShardReport>>;
  /** What a node is asked to run, by shard uid. */
  plans(nodeUid: number): Promise<Map<number, ShardPlan>>;
  /** Saves the record (delete-pending, creation-failed) and withdraws its shards from their nodes. */
  withdraw(record: BdbRecord, machine?: StateMachineObject): Promise<void>;
  /** Forgets the bdb and the state machine of its `action_uid`, frees its ports and drops its shards' reports. */
  remove(record: BdbRecord): Promise<void>;
  /**
   * Starts a change of an `active` database (an upgrade): saves the record and its state machine
   * together, only if the stored record is still `active`, no machine of that action uid is stored
   * and its job did not give it up (abandonChange); false (nothing written) otherwise.
   */
  beginChange(record: BdbRecord, machine: StateMachineObject): Promise<boolean>;
  /**
   * Saves the record and hands each node its shard's plan from `record.placement`, together, only
   * while the stored record still carries `record.action_uid` (the change is still its own); false
   * (nothing written) once it is gone or a delete took it, so a late upgrade step never brings a
   * deleted database, or its shards, back.
   */
  replan(record: BdbRecord): Promise<boolean>;
  stateMachines(): Promise<StateMachineObject[]>;
  stateMachine(actionUid: string): Promise<StateMachineObject | undefined>;
  saveStateMachine(machine: StateMachineObject): Promise<void>;
  /**
   * Gives up a change never begun: from then on (for a day) a begin of that action uid is refused.
   * No state machine is saved: nobody was ever handed its uid (the route that queued it died, or
   * answered 409). False (nothing written) when its machine is stored: it began.
   */
  abandonChange(actionUid: string): Promise<boolean>;
}

/** Stored records carry their placement; clients see the RS object alone. */
export function toBdbObject({ placement: _placement, ...bdb }: BdbRecord): BdbObject {
  return bdb;
}

/** Every port the database's shards listen on (the endpoint's, the replica's). */
export const portsOf = (record: BdbRecord): number[] => [...new Set(record.placement.map(s => s.plan.port))];

/** A port for `BdbStore.create` to pick: the n-th (from 1) free port of the range it is given. */
export const pickedPort = (n: number): number => -n;

/** How many ports the record leaves for the store to pick. */
export const pickedPortCount = (record: BdbRecord): number =>
  Math.max(0, ...record.placement.map(s => -s.plan.port), ...record.endpoints.map(e => -e.port));

/** The record with each `pickedPort(n)` replaced by `picked[n - 1]`. */
export function withPickedPorts(record: BdbRecord, picked: readonly number[]): BdbRecord {
  const real = (port: number) => (port < 0 ? picked[-port - 1]! : port);
  return {
    ...record,
    endpoints: record.endpoints.map(e => ({ ...e, port: real(e.port) })),
    placement: record.placement.map(({ node_uid, plan }) => ({
      node_uid,
      plan: {
        ...plan,
        port: real(plan.port),
        ...(plan.replica_of && { replica_of: { ...plan.replica_of, port: real(plan.replica_of.port) } }),
      },
    })),
  };
}

export const portsExhausted = () =>
  new NotAcceptableError('insufficient_resources', 'Every port of the database port range is in use');
