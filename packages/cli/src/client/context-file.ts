import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './client-context.js';
import type { ContextFile, SavedContext } from './context-file-schema.js';

export type { ContextFile, SavedContext } from './context-file-schema.js';

/** `$XDG_CONFIG_HOME/modfleet/config.json`, else `~/.config/modfleet/config.json`. */
export function contextFilePath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'modfleet', 'config.json');
}

export async function readContextFile(path: string): Promise<ContextFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new UsageError('bad_config', `cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError('bad_config', `${path} is not JSON: fix or delete it`);
  }
  // zod loads only when there is a file to check: a command run without saved contexts never needs it.
  const { contextFileSchema } = await import('./context-file-schema.js');
  const parsed = contextFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError('bad_config', `${path}: ${parsed.error.issues[0]?.message ?? 'unexpected content'}`);
  }
  return parsed.data;
}

/**
 * Writes the whole file through a temporary one created with mode 0600, so a password is never
 * readable by others, not even for a moment, and a crash leaves the old file whole.
 */
export async function writeContextFile(path: string, file: ContextFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
  } finally {
    await handle.close();
  }
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** The context a command uses: the one named, else the current one, else none. */
export function pickContext(file: ContextFile, name: string | undefined, path: string): SavedContext | undefined {
  if (name !== undefined) {
    const context = file.contexts[name];
    if (!context) {
      const known = Object.keys(file.contexts);
      throw new UsageError(
        'unknown_context',
        `no context "${name}" in ${path}; ${known.length > 0 ? `valid: ${known.join(', ')}` : 'save one with `modfleet login`'}`,
      );
    }
    return context;
  }
  return file.current === undefined ? undefined : file.contexts[file.current];
}
