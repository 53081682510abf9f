import { plainColors, renderTable, type Colors } from '../client/output.js';
import type { VerifyReport } from '../verify/verify-fleet.js';
import type { LatencySummary } from './load-stats.js';

export interface LoadReport {
  /** true when no request met a 5xx, no action failed and the final verify was clean. */
  ok: boolean;
  coordinator: string;
  nodes: number;
  elapsed_s: number;
  requests: number;
  requests_per_second: number;
  errors: number;
  server_errors: number;
  /** rate ticks dropped because too many operations were still in flight */
  skipped: number;
  errors_by_code: Record<string, number>;
  /** per request kind; the `… action` rows are action completion times (accepted → terminal) */
  operations: Record<string, LatencySummary>;
  verify: Pick<VerifyReport, 'clean' | 'totals'>;
}

export function renderLoadReport(report: LoadReport, c: Colors = plainColors): string {
  const rows = Object.entries(report.operations)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, s]) => [
      op,
      String(s.count),
      s.per_second.toFixed(1),
      s.p50_ms.toFixed(1),
      s.p95_ms.toFixed(1),
      s.p99_ms.toFixed(1),
      s.max_ms.toFixed(1),
      s.errors === 0 ? c.dim('0') : c.red(String(s.errors)),
    ]);
  let text = `${report.requests} requests in ${report.elapsed_s.toFixed(1)} s against ${report.coordinator} and ${report.nodes} node${report.nodes === 1 ? '' : 's'}: ${report.requests_per_second.toFixed(1)} req/s, ${report.errors} error${report.errors === 1 ? '' : 's'} (${report.server_errors} 5xx)\n\n`;
  text += renderTable(['operation', 'count', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], rows);
  const codes = Object.entries(report.errors_by_code);
  if (codes.length > 0) {
    text += `\nErrors by error_code:\n${codes.map(([code, n]) => `  ${code}  ${n}`).join('\n')}\n`;
  }
  if (report.skipped > 0)
    text += `\n${report.skipped} rate ticks skipped: the cluster could not keep up with --rate.\n`;
  const v = report.verify;
  text += v.clean
    ? `\n${c.green('Final verify: clean (every node holds exactly what the fleet says).')}\n`
    : `\n${c.red(`Final verify: NOT clean (missing ${v.totals.missing}, extra ${v.totals.extra}, mismatch ${v.totals.mismatch}, unreachable ${v.totals.unreachable}); run \`modfleet verify\` for details.`)}\n`;
  return text;
}
