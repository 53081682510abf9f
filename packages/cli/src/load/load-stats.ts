import * as hdr from 'hdr-histogram-js';
import { ApiError, ConnectionError } from '../client/api-client.js';

/** Latency figures of one kind of operation, in milliseconds. */
export interface LatencySummary {
  count: number;
  errors: number;
  per_second: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Latencies of one operation binned for a chart: `count` requests took up to `le_ms` (and more than the bin before). */
export interface LatencyBin {
  le_ms: number;
  count: number;
}

/** Microsecond histograms (1 µs to 10 min, 3 significant digits), one per operation, plus errors by code. */
export class LoadStats {
  private readonly latency = new Map<string, hdr.JsHistogram>();
  private readonly failures = new Map<string, number>();
  readonly errorsByCode = new Map<string, number>();
  /** Operations begun (each is one or more requests). */
  started = 0;
  done = 0;
  errors = 0;
  serverErrors = 0;
  /** Requests that got no HTTP answer at all (refused, reset, timed out): what a killed service causes. */
  connectionErrors = 0;
  /** Error replies of database commands (`ERR unknown command`): the commands did not work. */
  dbReplyErrors = 0;
  /** Rate ticks not started because `maxInFlight` operations were still running. */
  skipped = 0;

  record(op: string, ms: number, err?: unknown): void {
    let histogram = this.latency.get(op);
    if (!histogram) {
      histogram = newHistogram();
      this.latency.set(op, histogram);
    }
    histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    this.done += 1;
    if (err === undefined) return;
    this.errors += 1;
    this.failures.set(op, (this.failures.get(op) ?? 0) + 1);
    const code = errorCode(err);
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
    if (err instanceof ApiError && err.status >= 500) this.serverErrors += 1;
    if (err instanceof ConnectionError) this.connectionErrors += 1;
    if (err instanceof DbReplyError) this.dbReplyErrors += 1;
  }

  /** Every operation's latencies in log-spaced bins (ten per decade), for the HTML report's charts. */
  bins(): Record<string, LatencyBin[]> {
    return Object.fromEntries([...this.latency].map(([op, h]) => [op, logBins(h)]));
  }

  summary(elapsedMs: number): Record<string, LatencySummary> {
    const seconds = Math.max(elapsedMs / 1000, 0.001);
    return Object.fromEntries(
      [...this.latency].map(([op, h]) => [
        op,
        {
          count: h.totalCount,
          errors: this.failures.get(op) ?? 0,
          per_second: round(h.totalCount / seconds),
          ...percentiles(h),
        },
      ]),
    );
  }
}

export function percentiles(h: hdr.JsHistogram): { p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number } {
  // A percentile is the top of its bucket (3 significant digits), which may lie above the true max.
  const ms = (us: number) => round(Math.min(us, h.maxValue) / 1000);
  return {
    p50_ms: ms(h.getValueAtPercentile(50)),
    p95_ms: ms(h.getValueAtPercentile(95)),
    p99_ms: ms(h.getValueAtPercentile(99)),
    max_ms: ms(h.maxValue),
  };
}

function newHistogram(): hdr.JsHistogram {
  // The JS implementation (what hdr.build gives by default) typed as such, for its value iterator.
  return new hdr.Int32Histogram(1, 600_000_000, 3);
}

const BINS_PER_DECADE = 10;

/** The recorded values (µs) counted into bins whose upper bounds grow by 10^(1/10), from the fastest to the slowest. */
export function logBins(h: hdr.JsHistogram): LatencyBin[] {
  if (h.totalCount === 0) return [];
  const binOf = (us: number) => Math.ceil(Math.log10(us) * BINS_PER_DECADE - 1e-9);
  const first = binOf(Math.max(1, h.minNonZeroValue));
  const counts = new Array<number>(binOf(h.maxValue) - first + 1).fill(0);
  const values = h.recordedValuesIterator;
  values.reset();
  while (values.hasNext()) {
    const step = values.next();
    const index = Math.min(
      Math.max(binOf(h.medianEquivalentValue(step.valueIteratedTo)) - first, 0),
      counts.length - 1,
    );
    counts[index]! += step.countAtValueIteratedTo;
  }
  return counts.map((count, index) => ({
    le_ms: Number((10 ** ((first + index) / BINS_PER_DECADE) / 1000).toPrecision(3)),
    count,
  }));
}

/** The RS error_code of a refused request, or what went wrong below HTTP. */
export function errorCode(err: unknown): string {
  if (err instanceof ApiError) return err.code;
  if (err instanceof ConnectionError) return err.reason;
  if (err instanceof ActionFailed) return 'action_failed';
  if (err instanceof ActionTimedOut) return 'action_timeout';
  if (err instanceof DbReplyError) return `redis ${err.code}`;
  return 'client_error';
}

/** A push or delete whose action ended `failed`. */
export class ActionFailed extends Error {
  constructor(readonly actionUid: string) {
    super(`action ${actionUid} failed`);
    this.name = 'ActionFailed';
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

/** A push or delete that did not end within the bound. */
export class ActionTimedOut extends Error {
  constructor(
    readonly actionUid: string,
    timeoutMs: number,
  ) {
    super(`action ${actionUid} did not end within ${timeoutMs / 1000} s`);
    this.name = 'ActionTimedOut';
  }
}

/** A Redis error reply (`ERR unknown command`, `WRONGTYPE …`): counted by its first word. */
export class DbReplyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DbReplyError';
  }
}
