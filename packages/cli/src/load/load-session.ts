import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeView } from '@modfleet/common/contract';
import { ConnectionError, type ApiClient } from '../client/api-client.js';
import type { OutStream } from '../client/output.js';
import { verifyFleet } from '../verify/verify-fleet.js';
import type { Chaos } from './chaos.js';
import { openDbLoad, summarizeDatabases, type LoadDatabase } from './db-ops.js';
import { removeLeftovers } from './load-cleanup.js';
import { picker, type LoadOp } from './load-options.js';
import { createOps, type Leftovers } from './load-ops.js';
import type { LoadReport } from './load-report.js';
import { runLoad, type RunPlan } from './load-runner.js';
import { LoadStats, type LatencyBin } from './load-stats.js';
import { waitForSettle } from './settle.js';

export interface LoadSession {
  coordinator: ApiClient;
  nodes: NodeView[];
  agents: Map<number, ApiClient>;
  agentClient: (addr: string) => ApiClient;
  plan: RunPlan;
  mix: Record<LoadOp, number>;
  soSizes: number[];
  /** The `db` operation's databases and commands (undefined: PING, SET, GET in turn). */
  databases: LoadDatabase[];
  dbCommands: string[][] | undefined;
  chaos: { chaos: Chaos; seed: number; targets: string[] } | undefined;
  settleTimeoutMs: number;
  actionTimeoutMs: number;
  stderr: OutStream;
}

const CONNECTION_ERROR_PAUSE_MS = 250;

/** The artifacts a run makes live in a temp folder that is removed however the run ends. */
async function withWorkDir<T>(body: (workDir: string) => Promise<T>): Promise<T> {
  const workDir = await mkdtemp(join(tmpdir(), 'modfleet-load-'));
  try {
    return await body(workDir);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * One load run from start to verdict: the load (with the kills, under --chaos), then a wait for
 * the cluster to settle, the removal of what cut-short ops left behind, and the final verify.
 */
export async function runLoadSession(
  session: LoadSession,
): Promise<{ report: LoadReport; bins: Record<string, LatencyBin[]> }> {
  const { coordinator: client, agents } = session;
  const chaos = session.chaos?.chaos;
  return withWorkDir(async workDir => {
    const stats = new LoadStats();
    const leftovers: Leftovers = { fleet: new Set(), local: new Set() };
    const runId = randomBytes(3).toString('hex');
    const db =
      session.databases.length > 0 ? await openDbLoad(session.databases, session.dbCommands, stats, runId) : undefined;
    const ops = {
      ...createOps({
        coordinator: client,
        nodes: session.nodes,
        agents,
        workDir,
        soSizes: session.soSizes,
        runId,
        stats,
        leftovers,
        actionTimeoutMs: session.actionTimeoutMs,
      }),
      db: async () => {
        if (!db) throw new Error('the db operation needs --db');
        await db.run();
      },
    };
    const started = performance.now();
    chaos?.start(started);
    let elapsedMs: number;
    try {
      elapsedMs = await runLoad(
        session.plan,
        picker(session.mix),
        op =>
          ops[op]().catch(async (err: unknown) => {
            // A service that is down (killed, restarting) is not hammered in a tight loop.
            if (err instanceof ConnectionError) await sleep(CONNECTION_ERROR_PAUSE_MS);
            throw err;
          }),
        stats,
        session.stderr,
        () => (chaos ? ` | kills ${chaos.kills.length}` : ''),
        // Kills happen while operations start; the drain after the run only finishes them.
        () => chaos?.halt(),
      );
    } finally {
      // Waits for the last victim to answer again.
      await chaos?.stop();
      await db?.close();
    }
    const settle = await waitForSettle(client, session.settleTimeoutMs);
    const cleanup = await removeLeftovers(leftovers, client, agents, session.settleTimeoutMs);
    const verify = await verifyFleet(client, { deep: false, agentClient: session.agentClient });
    const failedActions =
      (stats.errorsByCode.get('action_failed') ?? 0) + (stats.errorsByCode.get('action_timeout') ?? 0);
    const operations = stats.summary(elapsedMs);
    const report: LoadReport = {
      ok:
        stats.serverErrors === 0 &&
        failedActions === 0 &&
        stats.dbReplyErrors === 0 &&
        // Refused and reset connections are what a kill causes; without --chaos they are a fault.
        (chaos !== undefined || stats.connectionErrors === 0) &&
        (chaos === undefined || chaos.kills.every(kill => kill.back_after_s !== null && kill.data_kept !== false)) &&
        settle.settled &&
        cleanup.left.length === 0 &&
        verify.clean,
      coordinator: client.baseUrl,
      nodes: session.nodes.length,
      elapsed_s: Math.round(elapsedMs) / 1000,
      requests: stats.done,
      requests_per_second: Math.round((stats.done / (elapsedMs / 1000)) * 100) / 100,
      errors: stats.errors,
      server_errors: stats.serverErrors,
      connection_errors: stats.connectionErrors,
      skipped: stats.skipped,
      errors_by_code: Object.fromEntries(stats.errorsByCode),
      operations,
      ...(session.databases.length > 0 && { databases: summarizeDatabases(session.databases, operations) }),
      ...(session.chaos && {
        chaos: { seed: session.chaos.seed, targets: session.chaos.targets, kills: session.chaos.chaos.kills },
      }),
      cleanup,
      settle,
      verify: { clean: verify.clean, totals: verify.totals },
    };
    return { report, bins: stats.bins() };
  });
}
