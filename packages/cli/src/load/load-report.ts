import { plainColors, renderTable, type Colors } from '../client/output.js';
import type { VerifyReport } from '../verify/verify-fleet.js';
import type { ChaosKill } from './chaos.js';
import type { DatabaseSummary } from './db-ops.js';
import type { CleanupResult } from './load-cleanup.js';
import type { LatencySummary } from './load-stats.js';
import type { SettleResult } from './settle.js';

export interface LoadReport {
  /**
   * true when no request met a 5xx, no database command got an error reply, no action failed or timed out, the final verify was clean and
   * (without --chaos, whose kills cause them) no request went unanswered.
   */
  ok: boolean;
  coordinator: string;
  nodes: number;
  elapsed_s: number;
  requests: number;
  requests_per_second: number;
  errors: number;
  server_errors: number;
  /** Requests that got no HTTP answer (refused, reset, timed out); expected under --chaos. */
  connection_errors: number;
  /** rate ticks dropped because too many operations were still in flight */
  skipped: number;
  errors_by_code: Record<string, number>;
  /** per request kind; the `… action` rows are action completion times (accepted → terminal) */
  operations: Record<string, LatencySummary>;
  /** The `db` operation's databases, each with all its commands added up (the rows `db <name> <COMMAND>` above). */
  databases?: DatabaseSummary[];
  /** Under --chaos: the seed (to replay the same kill times and victims) and every kill. */
  chaos?: { seed: number; targets: string[]; kills: ChaosKill[] };
  /** Artifacts of this run that an op cut short left behind, deleted before the verify. */
  cleanup: CleanupResult;
  /** The wait, before the verify, for every node to be active and no action to be running. */
  settle: SettleResult;
  verify: Pick<VerifyReport, 'clean' | 'totals'>;
}

/** An operation's count, rate and latencies as the report's columns show them (the table and the HTML page). */
export function latencyCells(s: LatencySummary): string[] {
  return [
    String(s.count),
    s.per_second.toFixed(1),
    s.p50_ms.toFixed(1),
    s.p95_ms.toFixed(1),
    s.p99_ms.toFixed(1),
    s.max_ms.toFixed(1),
  ];
}

export function renderLoadReport(report: LoadReport, c: Colors = plainColors): string {
  const rows = Object.entries(report.operations)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, s]) => [op, ...latencyCells(s), s.errors === 0 ? c.dim('0') : c.red(String(s.errors))]);
  let text = `${report.requests} requests in ${report.elapsed_s.toFixed(1)} s against ${report.coordinator} and ${report.nodes} node${report.nodes === 1 ? '' : 's'}: ${report.requests_per_second.toFixed(1)} req/s, ${report.errors} error${report.errors === 1 ? '' : 's'} (${report.server_errors} 5xx, ${report.connection_errors} without an answer)\n\n`;
  text += renderTable(['operation', 'count', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], rows);
  if (report.databases) {
    text += `\nDatabases:\n${renderTable(
      ['database', 'endpoint', 'requests', 'req/s', 'errors'],
      report.databases.map(db => [
        `${db.uid} ${db.name}`,
        db.endpoint,
        String(db.requests),
        db.per_second.toFixed(1),
        db.errors === 0 ? c.dim('0') : c.red(String(db.errors)),
      ]),
    )}`;
  }
  const codes = Object.entries(report.errors_by_code);
  if (codes.length > 0) {
    text += `\nErrors by error_code:\n${codes.map(([code, n]) => `  ${code}  ${n}`).join('\n')}\n`;
  }
  if (report.skipped > 0)
    text += `\n${report.skipped} rate ticks skipped: the cluster could not keep up with --rate.\n`;
  if (report.chaos) {
    const { kills, seed } = report.chaos;
    text += `\nChaos (--seed ${seed}): ${kills.length} service${kills.length === 1 ? '' : 's'} killed with SIGKILL, for modfleet up (a shard: its agent) to restart\n`;
    if (kills.length > 0) {
      text += renderTable(
        ['at s', 'service', 'pid', 'back after s', 'new pid', 'data'],
        kills.map(k => [
          k.at_s.toFixed(2),
          k.service,
          String(k.pid),
          k.back_after_s === null ? c.red('not back') : k.back_after_s.toFixed(2),
          k.new_pid === null ? '-' : String(k.new_pid),
          k.data_kept === undefined ? '-' : k.data_kept ? 'kept' : c.red('LOST'),
        ]),
      );
    }
  }
  if (report.chaos && report.connection_errors > 0)
    text += `${report.connection_errors} request${report.connection_errors === 1 ? '' : 's'} got no answer from a killed or restarting service: expected under --chaos, they do not fail the run.\n`;
  if (report.cleanup.removed > 0)
    text += `\nCleanup: deleted ${report.cleanup.removed} artifact${report.cleanup.removed === 1 ? '' : 's'} of this run that an interrupted operation left behind.\n`;
  if (report.cleanup.left.length > 0)
    text += `\n${c.red(`Cleanup could not delete: ${report.cleanup.left.join(', ')}`)}\n`;
  if (!report.settle.settled)
    text += `\n${c.red(`The cluster did not settle within ${report.settle.waited_s} s:`)} ${report.settle.pending.join('; ')}\n`;
  else if (report.settle.waited_s >= 1)
    text += `\nThe cluster settled (every node active, no action running) ${report.settle.waited_s.toFixed(1)} s after the load.\n`;
  const v = report.verify;
  text += v.clean
    ? `\n${c.green('Final verify: clean (every node holds exactly what the fleet says).')}\n`
    : `\n${c.red(`Final verify: NOT clean (missing ${v.totals.missing}, extra ${v.totals.extra}, mismatch ${v.totals.mismatch}, unreachable ${v.totals.unreachable}); run \`modfleet verify\` for details.`)}\n`;
  return text;
}
