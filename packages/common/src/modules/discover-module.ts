import { chmod, copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loaderReason } from './loader-reason.js';
import { parseCommandInfo, parseModuleEntry, type DiscoveredModule, type ModuleCommand } from './module-commands.js';
import { withThrowawayRedis, type ThrowawayRedis, type ThrowawayRedisOptions } from './throwaway-redis.js';

export interface DiscoverOptions extends ThrowawayRedisOptions {
  /** Arguments MODULE LOAD passes to the module, as RS passes module.json's `command_line_args`. */
  moduleArgs?: string[] | undefined;
}

/** module.json's `command_line_args` as MODULE LOAD's arguments: split on whitespace, as RS does. */
export function splitModuleArgs(commandLineArgs: unknown): string[] {
  return typeof commandLineArgs === 'string' ? commandLineArgs.split(/\s+/).filter(arg => arg !== '') : [];
}

/** MODULE LOAD refused the file; the message is the loader's own reason from the server log. */
export class ModuleLoadError extends Error {
  override readonly name = 'ModuleLoadError';
}

async function commandNames(server: ThrowawayRedis): Promise<Set<string>> {
  try {
    return new Set(((await server.call('COMMAND', 'LIST')) as unknown[]).map(name => String(name).toLowerCase()));
  } catch {
    // Before Redis 7: COMMAND answers every command's info, the name first.
    const all = (await server.call('COMMAND')) as unknown[][];
    return new Set(all.map(entry => String(entry[0]).toLowerCase()));
  }
}

async function moduleList(server: ThrowawayRedis) {
  return ((await server.call('MODULE', 'LIST')) as unknown[]).map(parseModuleEntry).filter(m => m !== undefined);
}

async function discoverIn(
  server: ThrowawayRedis,
  soPath: string,
  moduleArgs: string[],
  copy: boolean,
): Promise<DiscoveredModule> {
  const info = String(await server.call('INFO', 'server'));
  const redis_version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
  const commandsBefore = await commandNames(server);
  const modulesBefore = new Set((await moduleList(server)).map(m => m.name));
  // Redis refuses a module file without execute permission: load a private, executable copy.
  const loaded = copy ? join(server.dir, basename(soPath)) : soPath;
  if (copy) {
    await copyFile(soPath, loaded);
    await chmod(loaded, 0o755);
  }
  const logBefore = (await server.log()).length;
  try {
    await server.call('MODULE', 'LOAD', loaded, ...moduleArgs);
  } catch (err) {
    const log = (await server.log()).slice(logBefore);
    throw new ModuleLoadError(
      loaderReason({ log, loadedPath: loaded, shownAs: basename(soPath), fallback: (err as Error).message }),
    );
  }
  const added = (await moduleList(server)).filter(m => !modulesBefore.has(m.name));
  if (added.length !== 1 || !added[0]) {
    throw new ModuleLoadError(`MODULE LOAD added ${added.length} modules to MODULE LIST, expected exactly one`);
  }
  const newNames = [...(await commandNames(server))].filter(name => !commandsBefore.has(name)).sort();
  const infos = newNames.length > 0 ? ((await server.call('COMMAND', 'INFO', ...newNames)) as unknown[]) : [];
  const commands = infos.map(parseCommandInfo).filter((c): c is ModuleCommand => c !== undefined);
  return { module_name: added[0].name, version: added[0].ver, commands, redis_version };
}

/**
 * What RAMP does: load the .so into a throwaway redis-server and read the module's name,
 * version and commands (COMMAND INFO: arity, flags, key positions) from Redis itself.
 */
export function discoverModule(
  soPath: string,
  options: DiscoverOptions,
  /** false: `soPath` is already a private executable file (a fresh extract), load it where it is. */
  copy = true,
): Promise<DiscoveredModule> {
  return withThrowawayRedis(options, server => discoverIn(server, soPath, options.moduleArgs ?? [], copy));
}
