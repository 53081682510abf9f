import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A process `modfleet up` keeps running: started once already, able to start again the same way. */
export interface Restartable {
  readonly name: string;
  /** The running process (replaced on every restart). */
  child: ChildProcess;
  /** Starts it again (same port, environment and data) and waits until it answers; sets `child`. */
  respawn(): Promise<void>;
  /** A short reason for the last exit beyond its code, e.g. read from its log; undefined if none. */
  explainExit?(): Promise<string | undefined>;
  /** Where its output goes, for the message shown when it dies. */
  readonly logFile?: string;
}

export interface BackoffOptions {
  /** Delay before the first restart; doubled after each quick crash. */
  initialMs: number;
  maxMs: number;
  /** A process that ran this long before it exited starts again from `initialMs`. */
  resetAfterMs: number;
}

/** Like Docker's restart policy: doubling delays, reset once a process stayed up for a while. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 10_000 };

export interface Supervisor {
  /** Stops restarting, then waits for any restart in flight (its new process is left for the caller to stop). */
  stop(): Promise<void>;
}

type Say = (line: string) => void;

/** How long an exit waits before it counts as a crash, in case `up` itself is being stopped. */
const SIGNAL_GRACE_MS = 250;

const exitText = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `killed by ${signal}` : `exited with code ${code}`;

/**
 * `restart: unless-stopped` for local processes: whichever service exits without being asked
 * is started again after a backoff, and the terminal is told; the others keep running.
 */
export function superviseServices(
  services: Restartable[],
  say: Say,
  backoff: BackoffOptions = DEFAULT_BACKOFF,
): Supervisor {
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  function watch(service: Restartable, delayMs: number): void {
    const startedAt = Date.now();
    const child = service.child;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const ranMs = Date.now() - startedAt;
      const delay = ranMs >= backoff.resetAfterMs ? backoff.initialMs : delayMs;
      // Ctrl-C reaches the children too, and one may exit before our own SIGINT handler runs.
      setTimeout(() => {
        if (stopping) return;
        void announce(service, code, signal, delay).then(() => schedule(service, delay));
      }, SIGNAL_GRACE_MS);
    };
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.once('exit', onExit);
  }

  async function announce(service: Restartable, code: number | null, signal: NodeJS.Signals | null, delay: number) {
    const reason = await service.explainExit?.().catch(() => undefined);
    say(
      `modfleet: ${service.name} ${exitText(code, signal)}${reason ? ` (${reason})` : ''}; restarting in ${formatDelay(delay)}` +
        (service.logFile ? ` (log: ${service.logFile})` : ''),
    );
  }

  function schedule(service: Restartable, delay: number): void {
    if (stopping) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const attempt = restart(service, delay);
      inFlight.add(attempt);
      void attempt.finally(() => inFlight.delete(attempt));
    }, delay);
    timers.add(timer);
  }

  async function restart(service: Restartable, delay: number): Promise<void> {
    const next = Math.min(delay * 2, backoff.maxMs);
    try {
      await service.respawn();
    } catch (err) {
      if (stopping) return;
      say(
        `modfleet: ${service.name} did not come back: ${err instanceof Error ? err.message : String(err)}; trying again in ${formatDelay(next)}`,
      );
      // The failed process may still be around (it never answered): it must not hold the port.
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await once(service.child, 'exit');
      }
      schedule(service, next);
      return;
    }
    if (stopping) return;
    say(`modfleet: ${service.name} is running again (pid ${service.child.pid})`);
    watch(service, next);
  }

  for (const service of services) watch(service, backoff.initialMs);

  return {
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
