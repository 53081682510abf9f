import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes, type BdbObject, type ShardObject } from '@modfleet/common/contract';
import { Option, type Command } from 'commander';
import type { ApiClient } from './api-client.js';
import { ApiError } from './api-errors.js';
import {
  addClientOptions,
  clientCommand,
  EXIT_FAILED,
  runClientCommand,
  type ClientFlags,
  type Io,
} from './client-context.js';
import {
  endpointOf,
  parseMemory,
  parseModuleSpec,
  renderBdb,
  renderBdbs,
  renderShards,
  type ModuleSpec,
} from './db-format.js';
import { resolveUid } from './db-resolve.js';
import { registerDbUpgradeCommands } from './db-upgrade-command.js';
import { colorsFor, toJson } from './output.js';

interface CreateFlags extends ClientFlags {
  memory: string;
  module: string[];
  replication?: boolean;
  port?: string;
  persistence: string;
  wait: boolean;
  timeout: string;
}

/** Polls the database until `done` says so, one progress line on stderr per status change. */
async function waitFor(
  io: Io,
  client: ApiClient,
  uid: number,
  done: (bdb: BdbObject | undefined) => boolean,
  timeoutMs: number,
): Promise<BdbObject | undefined> {
  const deadline = Date.now() + timeoutMs;
  let shown = '';
  for (;;) {
    const bdb = await client.get<BdbObject>(pathTo(routes.bdb, { uid })).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    });
    if (done(bdb)) return bdb;
    const status = bdb?.status ?? 'gone';
    if (status !== shown) io.stderr.write(`database ${uid}: ${(shown = status)}…\n`);
    if (Date.now() > deadline) throw new Error(`database ${uid} still ${status} after ${timeoutMs / 1000} s`);
    await sleep(io.pollIntervalMs);
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerDbCommand(program: Command, io: Io): void {
  const db = clientCommand(program, 'db', io).description('RS databases (bdbs) whose shards load the modules');
  const sub = (nameAndArgs: string, description: string) =>
    addClientOptions(clientCommand(db, nameAndArgs, io).description(description));

  sub('create <name>', 'create a database and wait until it is active; prints its endpoint')
    .requiredOption('--memory <size>', 'memory limit: bytes, or 100MB, 1GiB…')
    .option('--module <name[@version][:args]>', 'a module to load (repeatable)', collect, [])
    .option('--replication', 'a replica shard on another node')
    .option('--port <port>', 'the endpoint port (default: the cluster picks one)')
    .addOption(
      new Option('--persistence <kind>', 'data persistence')
        .choices(['disabled', 'aof', 'snapshot'])
        .default('disabled'),
    )
    .option('--no-wait', 'answer at once, while the database is still pending')
    .option('--timeout <seconds>', 'how long to wait for active', '120')
    .action(async (name: string, flags: CreateFlags) => {
      await runClientCommand(io, flags, async ({ client, output }) => {
        const modules: ModuleSpec[] = flags.module.map(parseModuleSpec);
        const created = await client.post<BdbObject>(routes.bdbs, {
          name,
          memory_size: parseMemory(flags.memory),
          module_list: modules,
          ...(flags.replication && { replication: true }),
          ...(flags.port !== undefined && { port: Number(flags.port) }),
          data_persistence: flags.persistence,
        });
        const bdb = flags.wait
          ? (await waitFor(io, client, created.uid, b => b?.status !== 'pending', Number(flags.timeout) * 1000))!
          : created;
        io.stdout.write(output === 'json' ? toJson(bdb) : `${bdb.uid} ${bdb.status} ${endpointOf(bdb)}\n`);
        if (bdb.status === 'creation-failed') {
          io.stderr.write(`modfleet: creation-failed: ${bdb.status_reason ?? 'no reason given'}\n`);
          return EXIT_FAILED;
        }
      });
    });

  sub('list', 'list the databases').action(async (flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const bdbs = await client.get<BdbObject[]>(routes.bdbs);
      io.stdout.write(output === 'json' ? toJson(bdbs) : renderBdbs(bdbs, colorsFor(io.stdout, io.env)));
    });
  });

  sub('get <db>', 'one database, by uid or name').action(async (ref: string, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const bdb = await client.get<BdbObject>(pathTo(routes.bdb, { uid: await resolveUid(client, ref) }));
      io.stdout.write(output === 'json' ? toJson(bdb) : renderBdb(bdb, colorsFor(io.stdout, io.env)));
    });
  });

  sub('shards <db>', "a database's shards: role, node, port, state").action(async (ref: string, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const shards = await client.get<ShardObject[]>(pathTo(routes.bdbShards, { uid: await resolveUid(client, ref) }));
      io.stdout.write(output === 'json' ? toJson(shards) : renderShards(shards, colorsFor(io.stdout, io.env)));
    });
  });

  sub('rm <db>', 'delete a database and wait until it is gone (shards stopped, data removed)')
    .option('--timeout <seconds>', 'how long to wait', '120')
    .action(async (ref: string, flags: ClientFlags & { timeout: string }) => {
      await runClientCommand(io, flags, async ({ client, output }) => {
        const uid = await resolveUid(client, ref);
        const accepted = await client.delete<{ action_uid: string }>(pathTo(routes.bdb, { uid }));
        await waitFor(io, client, uid, bdb => bdb === undefined, Number(flags.timeout) * 1000);
        io.stdout.write(output === 'json' ? toJson({ uid, ...accepted, deleted: true }) : `deleted database ${uid}\n`);
      });
    });

  registerDbUpgradeCommands(db, io);
}
