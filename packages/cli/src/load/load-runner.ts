import { setTimeout as sleep } from 'node:timers/promises';
import { SingleBar } from 'cli-progress';
import type { OutStream } from '../client/output.js';
import type { LoadOp } from './load-options.js';
import type { LoadStats } from './load-stats.js';

export interface RunPlan {
  /** Stop starting operations after this long… */
  durationMs?: number | undefined;
  /** …or after this many operations. */
  count?: number | undefined;
  /** Start this many operations per second (open model)… */
  rate?: number | undefined;
  /** …or keep this many running at all times (closed model). */
  concurrency: number;
  /** At most this many operations in flight at a rate (a cluster slower than the rate is not buried). */
  maxInFlight: number;
}

/** Extra figures for the progress line (the kills under --chaos). */
export type ProgressExtra = () => string;

/** One live progress line (cli-progress), on a terminal only: how far, ops done, rate, errors, in flight. */
function progress(
  stream: OutStream,
  plan: RunPlan,
  stats: LoadStats,
  started: number,
  inFlight: () => number,
  extra: ProgressExtra,
): () => void {
  const tty = stream as OutStream & Partial<NodeJS.WritableStream>;
  if (tty.isTTY !== true || typeof tty.on !== 'function') return () => undefined;
  const total = plan.count ?? Math.round((plan.durationMs ?? 0) / 1000);
  const bar = new SingleBar({
    stream: tty as NodeJS.WritableStream,
    format: ` {bar} {value}/{total} ${plan.count === undefined ? 's' : 'ops'} | {done} requests | {rate}/s | errors {errors} | in flight {inflight}{extra}`,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    fps: 4,
  });
  const payload = () => {
    const seconds = (performance.now() - started) / 1000;
    return {
      done: stats.done,
      rate: (stats.done / Math.max(seconds, 0.001)).toFixed(1),
      errors: stats.errors,
      inflight: inFlight(),
      extra: extra(),
    };
  };
  const value = () =>
    plan.count === undefined ? Math.min(total, Math.floor((performance.now() - started) / 1000)) : stats.started;
  bar.start(total, 0, payload());
  const timer = setInterval(() => bar.update(value(), payload()), 250);
  return () => {
    clearInterval(timer);
    bar.update(value(), payload());
    bar.stop();
  };
}

/**
 * Runs operations until the duration or count is reached, then waits for those in flight
 * (each cleans up after itself, so the fleet should end as it began). Resolves with the elapsed ms.
 */
export async function runLoad(
  plan: RunPlan,
  next: () => LoadOp,
  run: (op: LoadOp) => Promise<void>,
  stats: LoadStats,
  stderr: OutStream,
  extra: ProgressExtra = () => '',
  /** Called once no more operations will start, before those in flight are waited for. */
  onDrain: () => void = () => undefined,
): Promise<number> {
  const started = performance.now();
  let begun = 0;
  const inFlight = new Set<Promise<void>>();
  const more = () =>
    (plan.count === undefined || begun < plan.count) &&
    (plan.durationMs === undefined || performance.now() - started < plan.durationMs);
  let drained = false;
  const drain = () => {
    if (drained) return;
    drained = true;
    onDrain();
  };
  // At the deadline itself: in the closed model a worker only looks again when its op ends.
  const deadline = plan.durationMs === undefined ? undefined : setTimeout(drain, plan.durationMs);
  const start = () => {
    begun += 1;
    stats.started = begun;
    if (plan.count !== undefined && begun >= plan.count) drain();
    // Errors are counted by the op's timed requests; the run goes on.
    const op = run(next()).catch(() => undefined);
    inFlight.add(op);
    void op.finally(() => inFlight.delete(op));
    return op;
  };
  const stop = progress(stderr, plan, stats, started, () => inFlight.size, extra);
  try {
    if (plan.rate !== undefined) {
      const intervalMs = 1000 / plan.rate;
      for (let tick = 1; more(); tick += 1) {
        if (inFlight.size < plan.maxInFlight) void start();
        else stats.skipped += 1;
        const due = started + tick * intervalMs;
        await sleep(Math.max(0, due - performance.now()));
      }
    } else {
      const worker = async () => {
        while (more()) await start();
      };
      await Promise.all(Array.from({ length: plan.concurrency }, worker));
    }
    drain();
    await Promise.allSettled([...inFlight]);
  } finally {
    clearTimeout(deadline);
    stop();
  }
  return performance.now() - started;
}
