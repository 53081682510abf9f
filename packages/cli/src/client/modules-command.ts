import type { ModuleObject } from '@modfleet/common';
import { pathTo, routes } from '@modfleet/common/contract';
import type { Command } from 'commander';
import { addClientOptions, clientCommand, runClientCommand, type ClientFlags, type Io } from './client-context.js';
import { registerModulesStatusCommand } from './modules-status-command.js';
import { renderTable, toJson } from './output.js';

export function renderModules(modules: ModuleObject[]): string {
  if (modules.length === 0) return 'No module objects in the cluster.\n';
  return renderTable(
    ['uid', 'name', 'version', 'semantic version', 'min redis', 'capabilities'],
    modules.map(m => [
      m.uid,
      m.module_name,
      String(m.version),
      m.semantic_version,
      m.min_redis_version ?? '',
      (m.capabilities ?? []).join(','),
    ]),
  );
}

export function registerModulesCommand(program: Command, io: Io): void {
  const modules = clientCommand(program, 'modules', io).description(
    'the module objects in the cluster configuration (CCS): create, list, delete',
  );

  addClientOptions(
    clientCommand(modules, 'create', io)
      .argument(
        '<file.json|artifact.zip>',
        'the module definition (the eight RS fields), or an artifact whose module.json is one; - reads standard input',
      )
      .description(
        `POST ${routes.userDefinedModules}: create a module object (\`modules create X.zip\`, then \`push X.zip\`)`,
      ),
  ).action(async (file: string, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const { readModuleDefinition } = await import('./module-definition.js');
      const definition = await readModuleDefinition(file);
      const created = await client.post<ModuleObject>(routes.userDefinedModules, definition);
      io.stdout.write(
        output === 'json'
          ? toJson(created)
          : `Created module object ${created.uid} (${created.module_name} version ${created.version})\n`,
      );
    });
  });

  addClientOptions(
    clientCommand(modules, 'list', io).alias('ls').description(`GET ${routes.modules}: list the module objects`),
  ).action(async (flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const list = await client.get<ModuleObject[]>(routes.modules);
      io.stdout.write(output === 'json' ? toJson(list) : renderModules(list));
    });
  });

  addClientOptions(
    clientCommand(modules, 'delete', io)
      .argument('<uid>', "the module object's uid")
      .description(`DELETE ${routes.userDefinedModules}/<uid>: delete a module object (its artifacts stay, as in RS)`),
  ).action(async (uid: string, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const answer = await client.delete<unknown>(pathTo(routes.userDefinedModule, { uid }));
      io.stdout.write(output === 'json' ? toJson(answer ?? {}) : `Deleted module object ${uid}\n`);
    });
  });

  registerModulesStatusCommand(modules, io);
}
