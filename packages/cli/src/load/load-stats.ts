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

/** Microsecond histograms (1 µs to 10 min, 3 significant digits), one per operation, plus errors by code. */
export class LoadStats {
  private readonly latency = new Map<string, hdr.Histogram>();
  private readonly failures = new Map<string, number>();
  readonly errorsByCode = new Map<string, number>();
  done = 0;
  errors = 0;
  serverErrors = 0;
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

export function percentiles(h: hdr.Histogram): { p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number } {
  // A percentile is the top of its bucket (3 significant digits), which may lie above the true max.
  const ms = (us: number) => round(Math.min(us, h.maxValue) / 1000);
  return {
    p50_ms: ms(h.getValueAtPercentile(50)),
    p95_ms: ms(h.getValueAtPercentile(95)),
    p99_ms: ms(h.getValueAtPercentile(99)),
    max_ms: ms(h.maxValue),
  };
}

function newHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** The RS error_code of a refused request, or what went wrong below HTTP. */
export function errorCode(err: unknown): string {
  if (err instanceof ApiError) return err.code;
  if (err instanceof ConnectionError) return err.reason;
  if (err instanceof ActionFailed) return 'action_failed';
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
