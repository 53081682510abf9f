import type { Command } from 'commander';
import { addOutputOption, clientCommand, type Io } from './client-context.js';
import type { PackFlags } from './pack-artifact.js';

const list = (value: string): string[] =>
  value
    .split(',')
    .map(item => item.trim())
    .filter(item => item !== '');

export function registerPackCommand(program: Command, io: Io): void {
  addOutputOption(
    clientCommand(program, 'pack', io)
      .argument('<module.so>', 'the compiled module')
      .description(
        'build an RS module artifact (.zip with module.json and the .so at its root) like RAMP: load the .so into a throwaway redis-server and read its name, version and commands',
      )
      .option('--name <module_name>', 'module_name (default: the name the module registers)')
      .option('--version <integer>', 'integer version, MMmmpp (default: the version the module registers)')
      .option('--semantic-version <semver>', 'default: from the version (20804 → 2.8.4)')
      .option('--display-name <text>', 'default: module_name')
      .option('--min-redis-version <version>', 'default: 7.0')
      .option('--capabilities <list>', 'comma-separated, e.g. types,replica_of', list)
      .option('--dependencies <list>', 'comma-separated names of required modules', list)
      .option('--exclude-command <list>', 'comma-separated commands to leave out of module.json', list)
      .option('--command-line-args <args>', 'module arguments RS passes at load')
      .option('--manifest <file.yml>', 'RAMP-style manifest (YAML or JSON); the flags win over it')
      .option('--redis-server <path>', 'redis-server to discover with (default: redis-server on PATH)')
      .option('--no-discover', 'do not load the .so (one that cannot load here): give --name and --version')
      .option('--out <file>', 'default: <name>-<version>.zip in the current folder'),
  ).action(async (module: string, flags: PackFlags) => {
    const { runPack } = await import('./pack-artifact.js');
    await runPack(io, module, flags);
  });
}
