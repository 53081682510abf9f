import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { routes, type NodeView } from '@modfleet/common/contract';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
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
import { addAllowHttpNodesOption, refusePlainHttpNode } from '../client/plain-http-nodes.js';
import type { Chaos } from './chaos.js';
import { CHAOS_TARGETS, type ChaosTarget } from './chaos-targets.js';
import { renderHtmlReport } from './load-html-report.js';
import {
  parseDbCommand,
  parseDuration,
  parseMix,
  parseSizes,
  positiveInteger,
  positiveNumber,
  type LoadOp,
} from './load-options.js';
import { renderLoadReport } from './load-report.js';
import { NotSupervised } from './supervised-pid.js';

interface LoadFlags extends ClientFlags {
  allowHttpNodes?: boolean;
  duration?: number;
  count?: number;
  rate?: number;
  concurrency: number;
  mix: Record<LoadOp, number>;
  size: number[];
  report?: string;
  chaos?: ChaosTarget[];
  chaosInterval: number;
  seed?: number;
  settleTimeout: number;
  actionTimeout: number;
  db?: string[];
  dbCommand?: string[][];
}

const collect =
  <T>(parse: (value: string) => T) =>
  (value: string, previous: T[] | undefined) => [...(previous ?? []), parse(value)];

/**
 * The mix as run: `--db` without `--mix` runs the db operation alone; a db weight needs `--db`,
 * and `--db` a db weight.
 */
export function effectiveMix(
  mix: Record<LoadOp, number>,
  mixGiven: boolean,
  databases: string[] | undefined,
): Record<LoadOp, number> {
  if (databases === undefined) {
    if (mix.db > 0) throw new UsageError('db_needs_db', 'the db operation needs --db <uid|name>');
    return mix;
  }
  if (!mixGiven) return { read: 0, local: 0, push: 0, db: 1 };
  if (mix.db === 0)
    throw new UsageError('db_not_in_mix', '--db names databases for the db operation, but --mix gives it no weight');
  return mix;
}

function chaosTargets(value: string): ChaosTarget[] {
  const targets = value.split(',').map(part => part.trim());
  for (const target of targets) {
    if (!CHAOS_TARGETS.includes(target as ChaosTarget))
      throw new InvalidArgumentError(`expected a list of ${CHAOS_TARGETS.join(', ')}, e.g. agents,coordinator`);
  }
  return [...new Set(targets)] as ChaosTarget[];
}

function seed(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('a whole number from 0');
  return parsed;
}

export function registerLoadCommand(program: Command, io: Io): void {
  addClientOptions(
    addAllowHttpNodesOption(clientCommand(program, 'load', io))
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
        new Option('--mix <weights>', 'read=N,local=N,push=N,db=N (with --db and no --mix: db alone)')
          .argParser(parseMix)
          .default(parseMix('read=70,local=20,push=10'), 'read=70,local=20,push=10'),
      )
      .addOption(
        new Option(
          '--db <uid|name>',
          'a database the db operation sends commands to, at its endpoint (repeat for more, taken in turn)',
        ).argParser(collect(String)),
      )
      .addOption(
        new Option(
          '--db-command <command>',
          'a command the db operation sends, e.g. "FT.SEARCH idx hello" (repeat for more, taken in turn; default: PING, SET, GET of its own keys)',
        ).argParser(collect(parseDbCommand)),
      )
      .addOption(
        new Option('--size <bytes>', 'size of the .so in each artifact, or sizes taken in turn (64KiB, 4KiB,1MiB)')
          .argParser(parseSizes)
          .default([64 * 1024], '64KiB'),
      )
      .addOption(
        new Option(
          '--report <file.html>',
          'also write a self-contained HTML page: summary and a latency histogram per operation',
        ),
      )
      .addOption(
        new Option(
          '--chaos [targets]',
          "SIGKILL services at random moments (modfleet up restarts them): agents (default), coordinator, shards (the --db databases' masters, which their agent restarts; AOF databases only), or a list such as agents,coordinator; only for a cluster started by `modfleet up` on this machine",
        ).argParser(chaosTargets),
      )
      .addOption(
        new Option('--chaos-interval <time>', 'mean time between kills (each wait drawn from 0.5x to 1.5x)')
          .argParser(parseDuration)
          .default(5000, '5s'),
      )
      .addOption(
        new Option(
          '--seed <n>',
          'seed for the kill times and victims (default: random, printed in the report)',
        ).argParser(seed),
      )
      .addOption(
        new Option(
          '--settle-timeout <time>',
          'how long to wait, before the final verify, for every node to be active and no action running',
        )
          .argParser(parseDuration)
          .default(120_000, '120s'),
      )
      .addOption(
        new Option('--action-timeout <time>', 'how long a push or delete may take to complete')
          .argParser(parseDuration)
          .default(120_000, '120s'),
      ),
  ).action(async (flags: LoadFlags, command: Command) => {
    await runClientCommand(io, flags, async ({ client, output, ca }) => {
      const { createApiClient, Chaos, resolveLoadDatabases, runLoadSession, shardVictims } =
        await import('./load-run-deps.js');
      const mix = effectiveMix(flags.mix, command.getOptionValueSource('mix') !== 'default', flags.db);
      if (flags.dbCommand && !flags.db) throw new UsageError('db_needs_db', '--db-command needs --db <uid|name>');
      // Found out before the run, not after minutes of load.
      if (flags.report) {
        const folder = dirname(resolve(flags.report));
        await access(folder, constants.W_OK).catch(() => {
          throw new UsageError(
            'report_not_writable',
            `cannot write the --report file: ${folder} is not a writable folder`,
          );
        });
      }
      const nodes = await client.get<NodeView[]>(routes.nodes);
      if (nodes.length === 0)
        throw new UsageError('no_nodes', 'no node is registered: start the cluster first (modfleet up)');
      const agentClient = (url: string): ApiClient => {
        try {
          refusePlainHttpNode(url, flags.allowHttpNodes === true);
        } catch (err) {
          throw new UsageError('plain_http_node', (err as Error).message);
        }
        return createApiClient({
          url,
          user: flags.user,
          password: flags.password,
          insecure: flags.insecure === true,
          ca,
        });
      };
      const databases = flags.db ? await resolveLoadDatabases(client, flags.db) : [];
      const agents = new Map(nodes.map(node => [node.uid, agentClient(node.url)]));
      try {
        // --chaos with no value: commander passes `true`.
        const targets =
          flags.chaos === undefined ? undefined : Array.isArray(flags.chaos) ? flags.chaos : ['agents' as const];
        const chaosSeed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
        let chaos: Chaos | undefined;
        if (targets) {
          try {
            chaos = await Chaos.prepare(
              { targets, intervalMs: flags.chaosInterval, seed: chaosSeed, backWithinMs: flags.settleTimeout },
              client,
              [...agents].map(([uid, agent]) => ({ uid, client: agent })),
              () => shardVictims(client, agents, databases),
            );
          } catch (err) {
            if (err instanceof NotSupervised) throw new UsageError('chaos_refused', err.message);
            throw err;
          }
        }
        const { report, bins } = await runLoadSession({
          coordinator: client,
          nodes,
          agents,
          agentClient,
          plan: {
            durationMs: flags.count === undefined ? (flags.duration ?? 30_000) : undefined,
            count: flags.count,
            rate: flags.rate,
            concurrency: flags.concurrency,
            maxInFlight: flags.rate === undefined ? flags.concurrency : Math.max(flags.concurrency, 64),
          },
          mix,
          databases,
          dbCommands: flags.dbCommand,
          soSizes: flags.size,
          chaos: chaos && { chaos, seed: chaosSeed, targets: targets ?? [] },
          settleTimeoutMs: flags.settleTimeout,
          actionTimeoutMs: flags.actionTimeout,
          stderr: io.stderr,
        });
        if (flags.report) await writeFile(flags.report, renderHtmlReport(report, bins));
        io.stdout.write(output === 'json' ? toJson(report) : renderLoadReport(report, colorsFor(io.stdout, io.env)));
        return report.ok ? 0 : EXIT_FAILED;
      } finally {
        await Promise.all([...agents.values()].map(agent => agent.close()));
      }
    });
  });
}
