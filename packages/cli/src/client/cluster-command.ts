import { routes, type ClusterSettingsView } from '@modfleet/common/contract';
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { addClientOptions, clientCommand, runClientCommand, type ClientFlags, type Io } from './client-context.js';
import { renderTable, toJson } from './output.js';

/** `key=value`: `true`/`false` a boolean, digits a number, anything else a string (the server checks). */
export function parseSetting(text: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const match = /^([a-z_][a-z0-9_]*)=(.*)$/i.exec(text);
  if (!match) throw new InvalidArgumentError('must be key=value, e.g. module_load_check=enforce');
  const [, key, raw] = match as unknown as [string, string, string];
  const value = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  return { ...previous, [key]: value };
}

function renderSettings(settings: ClusterSettingsView): string {
  return renderTable(
    ['setting', 'value'],
    Object.entries(settings).map(([key, value]) => [key, String(value)]),
  );
}

/** `cluster get` and `cluster set key=value…`: GET and PUT /v1/cluster. */
export function registerClusterCommand(program: Command, io: Io): void {
  const cluster = program.command('cluster').description('read or change the cluster settings (GET/PUT /v1/cluster)');
  addClientOptions(clientCommand(cluster, 'get', io).description('the cluster settings')).action(
    async (flags: ClientFlags) => {
      await runClientCommand(io, flags, async ({ client, output }) => {
        const settings = await client.get<ClusterSettingsView>(routes.cluster);
        io.stdout.write(output === 'json' ? toJson(settings) : renderSettings(settings));
      });
    },
  );
  addClientOptions(
    clientCommand(cluster, 'set', io)
      .description('change settings, e.g. `cluster set module_load_check=enforce allow_modules_upload=false`')
      .addArgument(new Argument('<key=value...>', 'settings to change').argParser(parseSetting)),
  ).action(async (patch: Record<string, unknown>, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const settings = await client.put<ClusterSettingsView>(routes.cluster, patch);
      io.stdout.write(output === 'json' ? toJson(settings) : renderSettings(settings));
    });
  });
}
