import { InvalidArgumentError, Option, type Command, type CommanderError } from 'commander';
import type { ApiClient } from './api-client.js';
import { ApiError, ConnectionError, DEFAULT_URL, DEFAULT_USER } from './api-errors.js';
import { LOCAL_CA_FILE, trustedCa } from './trusted-ca.js';
import { OUTPUT_FORMATS, toJson, type OutputFormat, type OutStream } from './output.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** The cluster answered, but does not hold what the fleet says (verify, artifacts --check). */
export const EXIT_DRIFT = 3;

/** Where a client command writes and how it ends: the process's own, or a test's capture. */
export interface Io {
  stdout: OutStream;
  /** Progress bars go here; cli-progress needs a real stream (process.stderr) to draw them. */
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /** The status the process ends with once the command is done. */
  setExitCode(code: number): void;
  /** Ends at once: commander's usage errors and --help. */
  exit(code: number): never;
  /** How often an action is polled while waiting for it (ms). */
  pollIntervalMs: number;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    setExitCode: code => {
      process.exitCode = code;
    },
    exit: code => process.exit(code),
    pollIntervalMs: 250,
  };
}

/** A mistake in how the command was called (a bad file, a bad value): exit status 2. */
export class UsageError extends Error {
  constructor(
    readonly code: string,
    description: string,
  ) {
    super(description);
    this.name = 'UsageError';
  }
}

/** The command ran but the outcome is a failure that it already explained: just the exit status. */
export class QuietFailure extends Error {
  constructor(readonly exitCode: number = EXIT_FAILED) {
    super('failed');
    this.name = 'QuietFailure';
  }
}

export interface OutputFlags {
  output: OutputFormat;
}

export interface ClientFlags extends OutputFlags {
  url: string;
  user: string;
  password?: string;
  insecure?: boolean;
  cacert?: string;
  /** A saved context (`modfleet login`); applied before the action by the program's hook. */
  context?: string;
}

export interface ClientContext {
  io: Io;
  client: ApiClient;
  flags: ClientFlags;
  output: OutputFormat;
  /** The CA the client trusts beside Node's own, for clients of the nodes too. */
  ca: string | undefined;
}

export function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http:// or https:// URL, e.g. https://127.0.0.1:9443');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('must be an http:// or https:// URL, e.g. https://127.0.0.1:9443');
  }
  return value.replace(/\/+$/, '');
}

export function addOutputOption(command: Command): Command {
  return command.addOption(
    new Option('-o, --output <format>', 'table for people, json for scripts').choices(OUTPUT_FORMATS).default('table'),
  );
}

/** --url, --user, --password, -k and -o on a command that talks to the coordinator. */
export function addClientOptions(command: Command): Command {
  command
    .addOption(
      new Option('--url <url>', "the coordinator's base URL")
        .env('MODFLEET_URL')
        .default(DEFAULT_URL)
        .argParser(parseBaseUrl),
    )
    .addOption(
      new Option('--user <email>', 'user email for HTTP Basic auth').env('MODFLEET_USER').default(DEFAULT_USER),
    )
    .addOption(
      new Option('--password <password>', 'password of --user (prefer the variable: flags show in `ps`)').env(
        'MODFLEET_PASSWORD',
      ),
    )
    .addOption(
      new Option(
        '--cacert <file>',
        `CA certificate to trust (PEM); default: the one \`modfleet up\` keeps in ${LOCAL_CA_FILE}, when there`,
      ).env('MODFLEET_CA'),
    )
    .addOption(new Option('-k, --insecure', 'accept any TLS certificate, unverified (https URLs)'))
    .addOption(
      new Option('--context <name>', 'a context saved by `modfleet login` (default: the current one)').env(
        'MODFLEET_CONTEXT',
      ),
    );
  return addOutputOption(command);
}

/**
 * Settings every client command shares: output through `io`, usage errors (commander's own
 * included) end with status 2, help with 0.
 */
export function clientCommand(parent: Command, nameAndArgs: string, io: Io): Command {
  return parent
    .command(nameAndArgs)
    .configureOutput({
      writeOut: text => void io.stdout.write(text),
      writeErr: text => void io.stderr.write(text),
      outputError: (text, write) => write(text),
    })
    .exitOverride((err: CommanderError) => usageExit(io, err, rawArgsOf(parent)))
    .showHelpAfterError(`(run with --help for usage)`);
}

/** The whole command line as the program got it (commander keeps it, untyped, on the root). */
export function rawArgsOf(command: Command): readonly string[] {
  let root = command;
  while (root.parent) root = root.parent;
  return (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
}

/** `-o json` (or `--output json`) anywhere on the command line, even after what commander refused. */
export function jsonRequested(args: readonly string[]): boolean {
  return args.some(
    (arg, i) =>
      arg === '-ojson' || arg === '--output=json' || ((arg === '-o' || arg === '--output') && args[i + 1] === 'json'),
  );
}

/** Commander's own usage errors and --help end here: status 2 (0 for help), a JSON body under -o json. */
export function usageExit(io: Io, err: CommanderError, args: readonly string[]): never {
  if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
    return io.exit(EXIT_OK);
  }
  if (jsonRequested(args) && err.code !== 'commander.help') {
    const code = err.code.replace(/^commander\./, '').replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
    io.stdout.write(toJson({ error_code: code, description: err.message.replace(/^error: /, '') }));
  }
  return io.exit(EXIT_USAGE);
}

/** One error: a `modfleet: <code>: <description>` line, or under -o json the RS body on stdout. */
export function reportError(io: Io, err: unknown, flags: Partial<ClientFlags>): number {
  const json = flags.output === 'json';
  const say = (line: string) => io.stderr.write(`modfleet: ${line}\n`);
  const fail = (code: string, description: string) =>
    json ? io.stdout.write(toJson({ error_code: code, description })) : say(`${code}: ${description}`);
  if (err instanceof QuietFailure) return err.exitCode;
  if (err instanceof UsageError) {
    fail(err.code, err.message);
    return EXIT_USAGE;
  }
  if (err instanceof ApiError) {
    fail(err.code, err.message);
    if (err.status === 401) {
      say(
        flags.password === undefined
          ? `hint: no password given for ${flags.user ?? DEFAULT_USER}: pass --password or set MODFLEET_PASSWORD (\`modfleet up\` prints the local admin login)`
          : `hint: check --user and --password (MODFLEET_USER / MODFLEET_PASSWORD): ${flags.user ?? ''} was refused`,
      );
    } else if (err.status === 403 && err.code === 'insufficient_permissions') {
      say(`hint: ${flags.user ?? 'this user'}'s role does not allow this; the admin role does`);
    }
    return EXIT_FAILED;
  }
  if (err instanceof ConnectionError) {
    if (json) fail(err.reason, err.message);
    else say(err.message);
    if (err.hint) say(`hint: ${err.hint}`);
    return EXIT_FAILED;
  }
  fail('error', err instanceof Error ? err.message : String(err));
  return EXIT_FAILED;
}

/** Runs a command body, turning every error into one `modfleet: <code>: <description>` line and a status. */
export async function runCommand<F extends OutputFlags>(
  io: Io,
  flags: F,
  body: () => Promise<number | void>,
): Promise<void> {
  let code: number;
  try {
    code = (await body()) ?? EXIT_OK;
  } catch (err) {
    code = reportError(io, err, flags);
  }
  io.setExitCode(code);
}

/** Runs a command body with an API client built from the flags; the client is closed after. */
export async function runClientCommand(
  io: Io,
  flags: ClientFlags,
  body: (ctx: ClientContext) => Promise<number | void>,
): Promise<void> {
  await runCommand(io, flags, async () => {
    const { client, ca } = await openClient(flags);
    try {
      return await body({ io, client, flags, output: flags.output, ca });
    } finally {
      await client.close();
    }
  });
}

/** An API client for the flags, and the CA it trusts; the caller closes it. */
export async function openClient(flags: ClientFlags): Promise<{ client: ApiClient; ca: string | undefined }> {
  const ca = await trustedCa(flags.cacert).catch((err: Error) => {
    throw new UsageError('invalid_cacert', err.message);
  });
  // The HTTP stack (undici) loads when a command first talks to a coordinator, not at start-up.
  const { createApiClient } = await import('./api-client.js');
  const client = createApiClient({
    url: flags.url,
    user: flags.user,
    password: flags.password,
    insecure: flags.insecure === true,
    ca,
  });
  return { client, ca };
}
