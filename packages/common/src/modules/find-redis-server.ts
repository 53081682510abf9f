import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `command` runs from: a path (absolute or with a `/`) as given, a bare name looked up on
 * PATH like a shell would. undefined when there is no executable there.
 */
export async function findRedisServer(
  command = 'redis-server',
  path = process.env.PATH ?? '',
): Promise<string | undefined> {
  if (command.includes('/') || isAbsolute(command)) {
    const full = resolve(command);
    return (await executable(full)) ? full : undefined;
  }
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}
