import { chmod, copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseCommandInfo, parseModuleEntry, type DiscoveredModule, type ModuleCommand } from './module-commands.js';
import { withThrowawayRedis, type ThrowawayRedis, type ThrowawayRedisOptions } from './throwaway-redis.js';

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

/** The loader's reason: the server log's line about this file, else its last warning lines. */
export async function loaderReason(server: ThrowawayRedis, file: string, fallback: string): Promise<string> {
  const lines = (await server.log()).split('\n').filter(line => line.trim() !== '');
  const about = lines.filter(line => line.includes(file) && /fail|error|cannot|not/i.test(line));
  const warnings = about.length > 0 ? about : lines.filter(line => / # /.test(line)).slice(-2);
  // Log lines start with "pid:role date time level"; keep the message only.
  const messages = warnings.map(line => line.replace(/^\d+:[A-Z] [^#*.-]+[#*.-] /, '').trim());
  return messages.length > 0 ? messages.join('; ') : fallback;
}

async function discoverIn(server: ThrowawayRedis, soPath: string, copy: boolean): Promise<DiscoveredModule> {
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
  try {
    await server.call('MODULE', 'LOAD', loaded);
  } catch (err) {
    throw new ModuleLoadError(await loaderReason(server, loaded, (err as Error).message));
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
  options: ThrowawayRedisOptions,
  /** false: `soPath` is already a private executable file (a fresh extract), load it where it is. */
  copy = true,
): Promise<DiscoveredModule> {
  return withThrowawayRedis(options, server => discoverIn(server, soPath, copy));
}
