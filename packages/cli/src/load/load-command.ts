import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes, type NodeView } from '@modfleet/common';
import { Option, type Command } from 'commander';
import { createApiClient, type ApiClient } from '../client/api-client.js';
import {
  addClientOptions,
  clientCommand,
  EXIT_FAILED,
  runClientCommand,
  UsageError,
  type ClientFlags,
  type Io,
} from '../client/client-context.js';
import { colorsFor, toJson } from '../client/output.js';
import { verifyFleet } from '../verify/verify-fleet.js';
import {
  parseDuration,
  parseMix,
  parseSize,
  picker,
  positiveInteger,
  positiveNumber,
  type LoadOp,
} from './load-options.js';
import { createOps } from './load-ops.js';
import { renderLoadReport, type LoadReport } from './load-report.js';
import { runLoad } from './load-runner.js';
import { LoadStats } from './load-stats.js';

interface LoadFlags extends ClientFlags {
  duration?: number;
  count?: number;
  rate?: number;
  concurrency: number;
  mix: Record<LoadOp, number>;
  size: number;
}

export function registerLoadCommand(program: Command, io: Io): void {
  addClientOptions(
    clientCommand(program, 'load', io)
      .description(
        'drive a running cluster with a mix of reads, local uploads+deletes and fleet pushes+deletes; report req/s, latency percentiles, errors by error_code and a final verify',
      )
      .addOption(new Option('--duration <time>', 'run this long (30s, 2m; default 30s)').argParser(parseDuration))
      .addOption(
        new Option('--count <n>', 'run this many operations instead').argParser(positiveInteger).conflicts('duration'),
      )
      .addOption(
        new Option('--rate <ops/s>', 'start this many operations per second (else: --concurrency)').argParser(
          positiveNumber,
        ),
      )
      .addOption(
        new Option('--concurrency <n>', 'operations kept in flight (with --rate: the most in flight)')
          .argParser(positiveInteger)
          .default(4),
      )
      .addOption(
        new Option('--mix <weights>', 'read=N,local=N,push=N')
          .argParser(parseMix)
          .default(parseMix('read=70,local=20,push=10'), 'read=70,local=20,push=10'),
      )
      .addOption(
        new Option('--size <bytes>', 'size of the .so in each artifact (64KiB, 4MiB)')
          .argParser(parseSize)
          .default(64 * 1024, '64KiB'),
      ),
  ).action(async (flags: LoadFlags) => {
    await runClientCommand(io, flags, async ({ client, output, ca }) => {
      const nodes = await client.get<NodeView[]>(routes.nodes);
      if (nodes.length === 0)
        throw new UsageError('no_nodes', 'no node is registered: start the cluster first (modfleet up)');
      const agentClient = (url: string): ApiClient =>
        createApiClient({ url, user: flags.user, password: flags.password, insecure: flags.insecure === true, ca });
      const agents = new Map(nodes.map(node => [node.uid, agentClient(node.url)]));
      const workDir = await mkdtemp(join(tmpdir(), 'modfleet-load-'));
      const stats = new LoadStats();
      try {
        const ops = createOps({
          coordinator: client,
          nodes,
          agents,
          workDir,
          soBytes: flags.size,
          runId: randomBytes(3).toString('hex'),
          stats,
        });
        const elapsedMs = await runLoad(
          {
            durationMs: flags.count === undefined ? (flags.duration ?? 30_000) : undefined,
            count: flags.count,
            rate: flags.rate,
            concurrency: flags.concurrency,
            maxInFlight: flags.rate === undefined ? flags.concurrency : Math.max(flags.concurrency, 64),
          },
          picker(flags.mix),
          op => ops[op](),
          stats,
          io.stderr,
        );
        const verify = await verifyFleet(client, { deep: false, agentClient });
        const report: LoadReport = {
          ok: stats.serverErrors === 0 && !stats.errorsByCode.has('action_failed') && verify.clean,
          coordinator: client.baseUrl,
          nodes: nodes.length,
          elapsed_s: Math.round(elapsedMs) / 1000,
          requests: stats.done,
          requests_per_second: Math.round((stats.done / (elapsedMs / 1000)) * 100) / 100,
          errors: stats.errors,
          server_errors: stats.serverErrors,
          skipped: stats.skipped,
          errors_by_code: Object.fromEntries(stats.errorsByCode),
          operations: stats.summary(elapsedMs),
          verify: { clean: verify.clean, totals: verify.totals },
        };
        io.stdout.write(output === 'json' ? toJson(report) : renderLoadReport(report, colorsFor(io.stdout, io.env)));
        return report.ok ? 0 : EXIT_FAILED;
      } finally {
        await Promise.all([...agents.values()].map(agent => agent.close()));
        await rm(workDir, { recursive: true, force: true });
      }
    });
  });
}
