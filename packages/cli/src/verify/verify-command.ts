import { InvalidArgumentError, type Command } from 'commander';
import {
  addClientOptions,
  clientCommand,
  EXIT_DRIFT,
  EXIT_FAILED,
  runClientCommand,
  type ClientFlags,
  type Io,
} from '../client/client-context.js';
import { colorsFor, toJson } from '../client/output.js';
import { addAllowHttpNodesOption, refusePlainHttpNode } from '../client/plain-http-nodes.js';

interface VerifyFlags extends ClientFlags {
  deep?: boolean;
  allowHttpNodes?: boolean;
  timeout?: number;
}

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a number of seconds above 0');
  return parsed;
}

export function registerVerifyCommand(program: Command, io: Io): void {
  addClientOptions(
    addAllowHttpNodesOption(clientCommand(program, 'verify', io))
      .description(
        'ask every agent what it holds and compare with the fleet view: missing, extra, mismatch, unreachable; exit 0 when every node matches, 3 on drift, 1 when a node cannot be asked',
      )
      .option('--deep', 'make every agent re-hash each artifact on its disk (finds bit rot and tampering)')
      .option(
        '--timeout <seconds>',
        'how long to wait for each agent (default 10, or 600 with --deep: it reads every byte)',
        seconds,
      ),
  ).action(async (flags: VerifyFlags) => {
    await runClientCommand(io, flags, async ({ client, output, ca }) => {
      // The HTTP client, Redis (database checks) and the reports load only when verify runs.
      const [{ createApiClient }, { verifyFleet }, { renderVerifyReport }, { renderDatabasesReport, verifyDatabases }] =
        await Promise.all([
          import('../client/api-client.js'),
          import('./verify-fleet.js'),
          import('./verify-report.js'),
          import('./verify-databases.js'),
        ]);
      const timeoutMs = (flags.timeout ?? (flags.deep ? 600 : 10)) * 1000;
      const report = await verifyFleet(client, {
        deep: flags.deep === true,
        agentClient: addr => {
          refusePlainHttpNode(addr, flags.allowHttpNodes === true);
          return createApiClient({
            url: addr,
            user: flags.user,
            password: flags.password,
            insecure: flags.insecure === true,
            ca,
            timeoutMs,
          });
        },
      });
      const databases = await verifyDatabases(client, Math.min(timeoutMs, 10_000));
      const clean = report.clean && databases.problems.length === 0;
      io.stdout.write(
        output === 'json'
          ? toJson({ ...report, clean, databases })
          : renderVerifyReport(report, colorsFor(io.stdout, io.env)) + renderDatabasesReport(databases),
      );
      if (clean) return 0;
      // an unreachable node is a failed request; a node or a shard that answered with something else is drift
      return report.totals.unreachable > 0 ? EXIT_FAILED : EXIT_DRIFT;
    });
  });
}
