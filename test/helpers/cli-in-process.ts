import { Command } from 'commander';
import type { Io } from '../../packages/cli/src/client/client-context.js';
import { registerClientCommands } from '../../packages/cli/src/client/register-client-commands.js';
import type { Credentials } from './http.js';

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** `modfleet <args>` in this process against `url`, polling fast; what it printed and its exit status. */
export async function runCliInProcess(
  url: string,
  args: string[],
  credentials: Credentials = { email: 'admin@test', password: 'pw' },
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const io: Io = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: {},
    setExitCode: value => (code = value),
    exit: value => {
      throw new Exited(value);
    },
    pollIntervalMs: 2,
  };
  const program = new Command('modfleet').exitOverride();
  registerClientCommands(program, io);
  try {
    await program.parseAsync([...args, '--url', url, '--user', credentials.email, '--password', credentials.password], {
      from: 'user',
    });
  } catch (e) {
    if (e instanceof Exited) return { code: e.code, out, err };
    throw e;
  }
  return { code, out, err };
}
