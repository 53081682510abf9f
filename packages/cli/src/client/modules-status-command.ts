import { Option, type Command } from 'commander';
import { addClientOptions, clientCommand, runClientCommand, type ClientFlags, type Io } from './client-context.js';
import { toJson } from './output.js';

interface StatusFlags extends ClientFlags {
  all?: boolean;
  db: string[];
  extra?: 'compatible_redis_version' | 'all';
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `modfleet modules status`: rladmin's `status modules` tables from GET /v1/modules and GET /v1/bdbs. */
export function registerModulesStatusCommand(modules: Command, io: Io): void {
  addClientOptions(
    clientCommand(modules, 'status', io)
      .description('what runs where, as `rladmin status modules` prints it; OLD MODULE VERSION: a newer one fits')
      .option('--all', 'every installed version of each module, not only the newest')
      .option('--db <uid|name>', 'only this database (repeatable)', collect, [])
      .addOption(
        new Option('--extra <column>', 'add a column, as rladmin `extra` does').choices([
          'compatible_redis_version',
          'all',
        ]),
      ),
  ).action(async (flags: StatusFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const [{ moduleStatus }, { renderModuleStatus }] = await Promise.all([
        import('./modules-status-run.js'),
        import('./module-status-format.js'),
      ]);
      const tables = await moduleStatus(client, flags);
      io.stdout.write(output === 'json' ? toJson(tables) : renderModuleStatus(tables, flags.extra));
    });
  });
}
