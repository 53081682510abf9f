import type { StateMachineObject } from '@modfleet/common';
import type { BdbStore } from '../bdb-store.js';

/** The SMUpgradeBDB state machine object, saved to Redis at each state it enters. */
export class UpgradeMachine {
  constructor(
    private readonly store: BdbStore,
    public machine: StateMachineObject,
    private readonly now: () => number,
  ) {}

  static async load(store: BdbStore, actionUid: string, now: () => number): Promise<UpgradeMachine | undefined> {
    const machine = await store.stateMachine(actionUid);
    return machine && new UpgradeMachine(store, machine, now);
  }

  get active(): boolean {
    return this.machine.status === 'active';
  }

  /** Records a state (once: a resumed job entering the state it was in adds nothing). */
  async enter(state: string, progress: number, detail?: string): Promise<void> {
    const states = this.machine.states ?? [];
    const last = states.at(-1);
    const at = Math.floor(this.now() / 1000);
    if (last?.state !== state || last.detail !== detail) states.push({ state, at, ...(detail && { detail }) });
    this.machine = {
      ...this.machine,
      state,
      states,
      progress: Math.max(this.machine.progress, progress),
      heartbeat: at,
    };
    await this.store.saveStateMachine(this.machine);
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
