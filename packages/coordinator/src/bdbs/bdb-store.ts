import type { BdbObject, ShardPlan, ShardReport, StateMachineObject } from '@modfleet/common';

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
   * Stores the bdb, holds its port and hands each node its shard plan, all or nothing. Throws
   * 409 uid_exists or 406 port_unavailable and then writes nothing.
   */
  create(record: BdbRecord, machine: StateMachineObject): Promise<void>;
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
   * together, only if the stored record is still `active`; false (nothing written) otherwise.
   */
  beginChange(record: BdbRecord, machine: StateMachineObject): Promise<boolean>;
  /** Saves the record and hands each node its shard's plan from `record.placement`, together. */
  replan(record: BdbRecord): Promise<void>;
  stateMachines(): Promise<StateMachineObject[]>;
  stateMachine(actionUid: string): Promise<StateMachineObject | undefined>;
  saveStateMachine(machine: StateMachineObject): Promise<void>;
}

/** Stored records carry their placement; clients see the RS object alone. */
export function toBdbObject({ placement: _placement, ...bdb }: BdbRecord): BdbObject {
  return bdb;
}

/** Every port the database's shards listen on (the endpoint's, the replica's). */
export const portsOf = (record: BdbRecord): number[] => [...new Set(record.placement.map(s => s.plan.port))];
