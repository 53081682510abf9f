import { setTimeout as sleep } from 'node:timers/promises';
import type { StateMachineObject, UpgradeHeading } from '@modfleet/common';
import type { BdbStore } from '../bdb-store.js';

/** The first state the job enters: listed, the job ran before (a crash or a failed attempt) and is resumed. */
const FIRST_JOB_STATE = 'prepare';

const ENDS = new Set(['completed', 'failed']);

/** The SMUpgradeBDB state machine object, saved to Redis at each state it enters. */
export class UpgradeMachine {
  constructor(
    private readonly store: BdbStore,
    public machine: StateMachineObject,
    private readonly now: () => number,
    private readonly holdMs = 0,
  ) {}

  static async load(
    store: BdbStore,
    actionUid: string,
    now: () => number,
    holdMs?: number,
  ): Promise<UpgradeMachine | undefined> {
    const machine = await store.stateMachine(actionUid);
    return machine && new UpgradeMachine(store, machine, now, holdMs);
  }

  get active(): boolean {
    return this.machine.status === 'active';
  }

  /** An earlier run of the job got as far as the states listed: this one resumes it. */
  get begun(): boolean {
    return this.machine.states?.some(s => s.state === FIRST_JOB_STATE) ?? false;
  }

  /** Where the shards are going: the upgrade's target unless a failure turned it. */
  get heading(): UpgradeHeading {
    return this.machine.heading ?? { toward: 'to' };
  }

  /**
   * Records a state, listed once: a resumed job going through a state listed already (the same
   * name, its detail then maybe annotated) adds nothing, and `state` stays the furthest one reached.
   */
  async enter(state: string, progress: number, detail?: string): Promise<void> {
    const states = this.machine.states ?? [];
    const at = Math.floor(this.now() / 1000);
    const listed = states.some(s => s.state === state && (detail === undefined || s.detail?.startsWith(detail)));
    if (!listed) states.push({ state, at, ...(detail && { detail }) });
    this.machine = {
      ...this.machine,
      state: listed ? this.machine.state : state,
      states,
      progress: Math.max(this.machine.progress, progress),
      heartbeat: at,
    };
    await this.store.saveStateMachine(this.machine);
    if (!listed && this.holdMs > 0 && !ENDS.has(state)) await sleep(this.holdMs);
  }

  /** Turns the job after a failure (saved with the state that says so, before any shard moves). */
  async turn(heading: UpgradeHeading, state: string, detail: string): Promise<void> {
    this.machine = { ...this.machine, heading };
    await this.enter(state, this.machine.progress, detail);
  }

  /** Adds what came of the current state to its detail (how a restarted replica resynced), the states list unchanged. */
  async annotate(note: string): Promise<void> {
    const last = this.machine.states?.at(-1);
    if (!last || last.detail?.endsWith(note)) return;
    last.detail = last.detail ? `${last.detail}; ${note}` : note;
    await this.store.saveStateMachine(this.machine);
  }

  async end(status: 'completed' | 'failed', detail?: string, error?: string): Promise<void> {
    await this.enter(status, status === 'completed' ? 100 : this.machine.progress, detail);
    this.machine = { ...this.machine, status, ...(error && { error }) };
    await this.store.saveStateMachine(this.machine);
  }
}
