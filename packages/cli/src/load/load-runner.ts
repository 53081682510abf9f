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

/** One progress line, rewritten in place, on a terminal only. */
function progress(stream: OutStream, stats: LoadStats, started: number, inFlight: () => number): () => void {
  if (!stream.isTTY) return () => undefined;
  const draw = () => {
    const seconds = (performance.now() - started) / 1000;
    stream.write(
      `\r${seconds.toFixed(1)} s  requests ${stats.done}  ${(stats.done / Math.max(seconds, 0.001)).toFixed(1)}/s  errors ${stats.errors}  in flight ${inFlight()}   `,
    );
  };
  const timer = setInterval(draw, 250);
  return () => {
    clearInterval(timer);
    draw();
    stream.write('\n');
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
): Promise<number> {
  const started = performance.now();
  let begun = 0;
  const inFlight = new Set<Promise<void>>();
  const more = () =>
    (plan.count === undefined || begun < plan.count) &&
    (plan.durationMs === undefined || performance.now() - started < plan.durationMs);
  const start = () => {
    begun += 1;
    // Errors are counted by the op's timed requests; the run goes on.
    const op = run(next()).catch(() => undefined);
    inFlight.add(op);
    void op.finally(() => inFlight.delete(op));
    return op;
  };
  const stop = progress(stderr, stats, started, () => inFlight.size);
  try {
    if (plan.rate !== undefined) {
      const intervalMs = 1000 / plan.rate;
      for (let tick = 1; more(); tick += 1) {
        if (inFlight.size < plan.maxInFlight) void start();
        else stats.skipped += 1;
        const due = started + tick * intervalMs;
        await new Promise(resolve => setTimeout(resolve, Math.max(0, due - performance.now())));
      }
    } else {
      const worker = async () => {
        while (more()) await start();
      };
      await Promise.all(Array.from({ length: plan.concurrency }, worker));
    }
    await Promise.allSettled([...inFlight]);
  } finally {
    stop();
  }
  return performance.now() - started;
}
