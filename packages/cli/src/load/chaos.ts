import { routes, type HealthAnswer } from '@modfleet/common';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';
import type { ApiClient } from '../client/api-client.js';
import { supervisedPid } from './supervised-pid.js';

export const CHAOS_TARGETS = ['agents', 'coordinator'] as const;
export type ChaosTarget = (typeof CHAOS_TARGETS)[number];

export interface ChaosPlan {
  targets: ChaosTarget[];
  /** Mean time between kills; each wait is drawn from 0.5x to 1.5x of it. */
  intervalMs: number;
  seed: number;
  /** How long a killed service may take to answer again before the run reports it as lost. */
  backWithinMs: number;
}

/** One SIGKILL, as the report lists it. */
export interface ChaosKill {
  /** Seconds into the run. */
  at_s: number;
  service: string;
  pid: number;
  /** When its successor answered /healthz, seconds after the kill; null if it did not within the bound. */
  back_after_s: number | null;
  new_pid: number | null;
}

interface Victim {
  service: string;
  command: 'agent' | 'coordinator';
  client: ApiClient;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

async function healthyPid(client: ApiClient): Promise<number | undefined> {
  try {
    const health = await client.get<HealthAnswer>(routes.healthz);
    return health.status === 'ok' ? health.pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Kills services of a `modfleet up` cluster with SIGKILL at seeded random moments and waits for
 * up's supervisor to bring each back before the next kill: one service down at a time, so every
 * kill is a crash the cluster must ride out, not an outage.
 */
export class Chaos {
  readonly kills: ChaosKill[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly plan: ChaosPlan,
    private readonly victims: Victim[],
  ) {}

  /** Refuses (NotSupervised) unless every target is a child of `modfleet up` on this machine. */
  static async prepare(
    plan: ChaosPlan,
    coordinator: ApiClient,
    agents: { uid: number; client: ApiClient }[],
  ): Promise<Chaos> {
    const victims: Victim[] = [];
    if (plan.targets.includes('agents')) {
      for (const agent of agents)
        victims.push({ service: `agent ${agent.uid}`, command: 'agent', client: agent.client });
    }
    if (plan.targets.includes('coordinator'))
      victims.push({ service: 'coordinator', command: 'coordinator', client: coordinator });
    for (const victim of victims) await supervisedPid(victim.client, victim.command);
    return new Chaos(plan, victims);
  }

  start(runStarted: number): void {
    const rng = mersenne(this.plan.seed);
    this.loop = (async () => {
      while (!this.abort.signal.aborted) {
        await sleep(this.plan.intervalMs * (0.5 + uniformFloat64(rng)), this.abort.signal);
        if (this.abort.signal.aborted) return;
        const victim = this.victims[uniformInt(rng, 0, this.victims.length - 1)]!;
        await this.kill(victim, runStarted);
      }
    })();
  }

  private async kill(victim: Victim, runStarted: number): Promise<void> {
    let pid: number;
    try {
      // Asked again each time: the supervisor gave the last victim a new pid.
      pid = await supervisedPid(victim.client, victim.command);
    } catch {
      return; // not answering right now: no kill this round
    }
    const killedAt = performance.now();
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    const kill: ChaosKill = {
      at_s: round((killedAt - runStarted) / 1000),
      service: victim.service,
      pid,
      back_after_s: null,
      new_pid: null,
    };
    this.kills.push(kill);
    // Waited for even after stop(): the run's final verify needs every service back.
    const deadline = killedAt + this.plan.backWithinMs;
    while (performance.now() < deadline) {
      const now = await healthyPid(victim.client);
      if (now !== undefined && now !== pid) {
        kill.back_after_s = round((performance.now() - killedAt) / 1000);
        kill.new_pid = now;
        return;
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }

  /** No more kills from now on (a kill under way still waits for its victim). */
  halt(): void {
    this.abort.abort();
  }

  /** No more kills; resolves once the last victim is back (or its bound has passed). */
  async stop(): Promise<void> {
    this.halt();
    await this.loop;
  }
}

const round = (value: number) => Math.round(value * 100) / 100;
