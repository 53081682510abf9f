import { routes, type HealthAnswer } from '@modfleet/common/contract';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';
import type { ApiClient } from '../client/api-client.js';
import type { ChaosTarget } from './chaos-targets.js';
import { supervisedPid } from './supervised-pid.js';

export { CHAOS_TARGETS, type ChaosTarget } from './chaos-targets.js';

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
  /** A shard: whether the key written just before the kill read back (false: its data was lost). */
  data_kept?: boolean;
}

/** Something --chaos may kill, and how to tell that it is back. */
export interface ChaosVictim {
  service: string;
  /** The pid to kill now, shown to be one a supervisor restarts (else it throws). */
  pid(): Promise<number>;
  /** Just before the kill (a shard: writes the key that must come back). */
  beforeKill?(): Promise<void>;
  /** One look: the successor's pid once it answers (a shard: and whether its data came back). */
  back(killedPid: number): Promise<{ pid: number; dataKept?: boolean } | undefined>;
  close?(): void;
}

/** The coordinator or an agent: back once its /healthz answers ok with a new pid. */
function serviceVictim(service: string, command: 'agent' | 'coordinator', client: ApiClient): ChaosVictim {
  return {
    service,
    pid: () => supervisedPid(client, command),
    async back(killedPid) {
      const now = await healthyPid(client);
      return now !== undefined && now !== killedPid ? { pid: now } : undefined;
    },
  };
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
    private readonly victims: ChaosVictim[],
  ) {}

  /** Refuses (NotSupervised) unless every target is a child of `modfleet up` on this machine. */
  static async prepare(
    plan: ChaosPlan,
    coordinator: ApiClient,
    agents: { uid: number; client: ApiClient }[],
    shards: () => ChaosVictim[] = () => [],
  ): Promise<Chaos> {
    const victims: ChaosVictim[] = [];
    if (plan.targets.includes('agents')) {
      for (const agent of agents) victims.push(serviceVictim(`agent ${agent.uid}`, 'agent', agent.client));
    }
    if (plan.targets.includes('coordinator')) victims.push(serviceVictim('coordinator', 'coordinator', coordinator));
    if (plan.targets.includes('shards')) victims.push(...shards());
    for (const victim of victims) await victim.pid();
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

  private async kill(victim: ChaosVictim, runStarted: number): Promise<void> {
    let pid: number;
    try {
      // Asked again each time: the supervisor gave the last victim a new pid.
      pid = await victim.pid();
      await victim.beforeKill?.();
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
      const back = await victim.back(pid).catch(() => undefined);
      if (back) {
        kill.back_after_s = round((performance.now() - killedAt) / 1000);
        kill.new_pid = back.pid;
        if (back.dataKept !== undefined) kill.data_kept = back.dataKept;
        return;
      }
      await new Promise(resolve => setTimeout(resolve, 100));
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
    for (const victim of this.victims) victim.close?.();
  }
}

const round = (value: number) => Math.round(value * 100) / 100;
