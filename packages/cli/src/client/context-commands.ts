import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { routes } from '@modfleet/common/contract';
import { Argument, type Command } from 'commander';
import {
  addClientOptions,
  addOutputOption,
  clientCommand,
  openClient,
  runCommand,
  UsageError,
  type ClientFlags,
  type Io,
  type OutputFlags,
} from './client-context.js';
import type { ContextFile } from './context-file.js';

/** The context file's code (and zod, which checks it) loads when a command reads the file. */
const contextFile = () => import('./context-file.js');
import { renderTable, toJson } from './output.js';

interface LoginFlags extends ClientFlags {
  name?: string;
  savePassword?: boolean;
}

/** A context name from the URL's host and port: `127.0.0.1-9443`. */
export function contextNameFor(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  return `${hostname}-${port || (protocol === 'https:' ? '443' : '80')}`.replace(/[^\w.-]/g, '-');
}

async function askPassword(io: Io, user: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError('no_password', `no password for ${user}: set MODFLEET_PASSWORD or run on a terminal`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // readline echoes what is typed; write nothing back while the password is typed
  const hidden = prompt as unknown as { _writeToOutput: (text: string) => void };
  io.stderr.write(`Password for ${user}: `);
  hidden._writeToOutput = () => undefined;
  try {
    return await prompt.question('');
  } finally {
    prompt.close();
    io.stderr.write('\n');
  }
}

/** Adds or replaces one context and makes it the current one. */
export async function saveContext(path: string, name: string, context: ContextFile['contexts'][string]): Promise<void> {
  const { readContextFile, writeContextFile } = await contextFile();
  const file = await readContextFile(path);
  file.contexts[name] = context;
  file.current = name;
  await writeContextFile(path, file);
}

export function registerContextCommands(program: Command, io: Io): void {
  addClientOptions(
    clientCommand(program, 'login', io)
      .description('check a login against a coordinator and save it as a named context (the current one after)')
      .option('--name <context>', 'the context name (default: host-port of --url)')
      .option('--save-password', 'also write the password in the context file (mode 0600, in clear)'),
  ).action(async (flags: LoginFlags) => {
    await runCommand(io, flags, async () => {
      const password = flags.password ?? (await askPassword(io, flags.user));
      const { client } = await openClient({ ...flags, password });
      try {
        await client.get(routes.cluster);
      } finally {
        await client.close();
      }
      const name = flags.name ?? contextNameFor(flags.url);
      const path = (await contextFile()).contextFilePath(io.env);
      await saveContext(path, name, {
        url: flags.url,
        user: flags.user,
        ...(flags.savePassword && { password }),
        ...(flags.cacert && { cacert: resolve(flags.cacert) }),
        ...(flags.insecure && { insecure: true }),
      });
      const saved = flags.savePassword ? ', password saved in clear (mode 0600)' : ', password not saved';
      io.stderr.write(`Logged in to ${flags.url} as ${flags.user}; context "${name}" saved in ${path}${saved}\n`);
      return 0;
    });
  });
}

export function registerContextListCommands(program: Command, io: Io): void {
  const context = program
    .command('context')
    .description('the saved contexts: list, use NAME, rm NAME')
    .helpGroup('Client commands (talk to a coordinator; --help on each):');
  addOutputOption(clientCommand(context, 'list', io).description('the saved contexts, * the current one')).action(
    async (flags: OutputFlags) => {
      await runCommand(io, flags, async () => {
        const { contextFilePath, readContextFile } = await contextFile();
        const file = await readContextFile(contextFilePath(io.env));
        if (flags.output === 'json') {
          const contexts = Object.fromEntries(
            Object.entries(file.contexts).map(([name, c]) => [
              name,
              { ...c, password: c.password ? '***' : undefined },
            ]),
          );
          io.stdout.write(toJson({ current: file.current ?? null, contexts }));
          return;
        }
        const rows = Object.entries(file.contexts).map(([name, c]) => [
          name === file.current ? '*' : '',
          name,
          c.url,
          c.user,
          c.password ? 'saved' : 'not saved',
        ]);
        io.stdout.write(
          rows.length > 0
            ? renderTable(['current', 'name', 'url', 'user', 'password'], rows)
            : 'No contexts saved: `modfleet login --url <url> --user <email>` saves one.\n',
        );
      });
    },
  );
  for (const [verb, what] of [
    ['use', 'make NAME the current context'],
    ['rm', 'delete the context NAME'],
  ] as const) {
    addOutputOption(clientCommand(context, verb, io).addArgument(new Argument('<name>')).description(what)).action(
      async (name: string, flags: OutputFlags) => {
        await runCommand(io, flags, async () => {
          const { contextFilePath, readContextFile, writeContextFile } = await contextFile();
          const path = contextFilePath(io.env);
          const file = await readContextFile(path);
          if (!file.contexts[name]) {
            const known = Object.keys(file.contexts);
            throw new UsageError('unknown_context', `no context "${name}"; valid: ${known.join(', ') || 'none'}`);
          }
          if (verb === 'use') file.current = name;
          else {
            delete file.contexts[name];
            if (file.current === name) delete file.current;
          }
          await writeContextFile(path, file);
          io.stderr.write(verb === 'use' ? `Current context: ${name}\n` : `Deleted context ${name}\n`);
        });
      },
    );
  }
}
