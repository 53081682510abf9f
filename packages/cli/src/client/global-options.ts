import { Option, type Command, type CommanderError } from 'commander';
import {
  parseBaseUrl,
  rawArgsOf,
  reportError,
  usageExit,
  type ClientFlags,
  type Io,
  type OutputFlags,
} from './client-context.js';
import type { SavedContext } from './context-file.js';
import { OUTPUT_FORMATS } from './output.js';

/** The client flags that may come before the command name too, as kubectl's do. */
const SHARED_FLAGS = ['url', 'user', 'password', 'cacert', 'insecure', 'output', 'context'] as const;
const CONTEXT_FIELDS = ['url', 'user', 'password', 'cacert', 'insecure'] as const;

/**
 * `modfleet --url X nodes`: the client flags on the program itself, short usage errors with
 * status 2 (an unknown command too), and a hook that hands the program's flags and the saved
 * context to the command about to run.
 */
export function addProgramClientOptions(program: Command, io: Io): void {
  program
    .addOption(
      new Option('--url <url>', "the coordinator's base URL (before any client command)").argParser(parseBaseUrl),
    )
    .addOption(new Option('--user <email>', 'user email for HTTP Basic auth'))
    .addOption(new Option('--password <password>', 'password of --user (prefer MODFLEET_PASSWORD)'))
    .addOption(new Option('--cacert <file>', 'CA certificate to trust (PEM)'))
    .addOption(new Option('-k, --insecure', 'accept any TLS certificate, unverified'))
    .addOption(new Option('-o, --output <format>', 'table for people, json for scripts').choices(OUTPUT_FORMATS))
    .addOption(new Option('--context <name>', 'a context saved by `modfleet login`'))
    .configureOutput({ writeOut: text => void io.stdout.write(text), writeErr: text => void io.stderr.write(text) })
    .showHelpAfterError('(run `modfleet --help` for usage)')
    .exitOverride((err: CommanderError) => usageExit(io, err, rawArgsOf(program)))
    .hook('preAction', async (_program, command) => {
      try {
        await applySharedFlags(program, command, io);
      } catch (err) {
        io.exit(reportError(io, err, command.opts<OutputFlags>()));
      }
    });
}

const hasOption = (command: Command, name: string) => command.options.some(o => o.attributeName() === name);

async function applySharedFlags(program: Command, command: Command, io: Io): Promise<void> {
  // login checks the flags it was given; a saved context must not fill them in
  if (command === program || command.name() === 'login') return;
  for (const name of SHARED_FLAGS) {
    if (!hasOption(command, name)) continue;
    if (command.getOptionValueSource(name) !== 'cli' && program.getOptionValueSource(name) === 'cli') {
      command.setOptionValueWithSource(name, program.getOptionValue(name), 'cli');
    }
  }
  if (!hasOption(command, 'url') || !hasOption(command, 'context')) return;
  const flags = command.opts<ClientFlags>();
  const { contextFilePath, pickContext, readContextFile } = await import('./context-file.js');
  const path = contextFilePath(io.env);
  const context = pickContext(await readContextFile(path), flags.context, path);
  if (context) applyContext(command, context, flags.context !== undefined);
}

/**
 * A context named with --context (or MODFLEET_CONTEXT) is the cluster the user asked for: it beats
 * MODFLEET_URL and friends, flags only beat it. The current context stands in only when neither a
 * flag nor MODFLEET_URL names a coordinator: half of another cluster's settings would be wrong.
 */
function applyContext(command: Command, context: SavedContext, named: boolean): void {
  const unset = (name: string) => ['default', undefined].includes(command.getOptionValueSource(name));
  if (!named && !unset('url')) return;
  for (const name of CONTEXT_FIELDS) {
    const value = context[name];
    if (value === undefined) continue;
    if (unset(name) || (named && command.getOptionValueSource(name) === 'env')) {
      command.setOptionValueWithSource(name, value, 'config');
    }
  }
}
