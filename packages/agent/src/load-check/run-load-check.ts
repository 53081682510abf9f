import {
  checkArtifactAgainstModule,
  findRedisServer,
  ModuleLoadError,
  ThrowawayTimeoutError,
  type InspectedArtifact,
  type LoadCheck,
  type ThrowawayRedisOptions,
} from '@modfleet/common';

export interface RunLoadCheckOptions extends Omit<ThrowawayRedisOptions, 'redisServer'> {
  /** MODFLEET_REDIS_SERVER: a path, or a name looked up on PATH. */
  redisServer: string;
}

const now = () => new Date().toISOString();

/**
 * This node's verdict on an artifact: does its .so load into this node's redis-server, with the
 * version, commands and key positions its module.json claims. Never throws for a bad module.
 */
export async function runLoadCheck(
  zipPath: string,
  inspected: InspectedArtifact,
  options: RunLoadCheckOptions,
): Promise<LoadCheck> {
  const redisServer = await findRedisServer(options.redisServer);
  if (!redisServer) {
    return {
      status: 'skipped',
      reason: `no redis-server on this node (looked for "${options.redisServer}"; set MODFLEET_REDIS_SERVER)`,
      checked_at: now(),
    };
  }
  // A throwaway server that dies under the check for reasons of its own (the machine's load, a
  // signal) says nothing about the module: one more try before reporting that the check could not run.
  let attempt = await checkOnce(zipPath, inspected, { ...options, redisServer });
  if (attempt instanceof Error) attempt = await checkOnce(zipPath, inspected, { ...options, redisServer });
  if (attempt instanceof Error) {
    return { status: 'failed', reason: `the check could not run: ${attempt.message}`, checked_at: now() };
  }
  return attempt;
}

/** One check: its verdict, or the error that kept it from reaching one. */
async function checkOnce(
  zipPath: string,
  inspected: InspectedArtifact,
  options: RunLoadCheckOptions,
): Promise<LoadCheck | Error> {
  try {
    const { found, problems } = await checkArtifactAgainstModule(zipPath, inspected, options);
    const errors = problems.filter(p => p.level === 'error').map(p => p.message);
    const warnings = problems.filter(p => p.level === 'warning').map(p => p.message);
    const common = {
      ...(warnings.length > 0 && { warnings }),
      redis_version: found.redis_version,
      checked_at: now(),
    };
    if (errors.length > 0) return { status: 'failed', reason: errors.join('; '), ...common };
    return {
      status: 'passed',
      reason: `loaded as ${found.module_name} ${found.version} with ${found.commands.length} commands matching module.json`,
      ...common,
    };
  } catch (err) {
    if (err instanceof ModuleLoadError) {
      return { status: 'failed', reason: `does not load on this node: ${err.message}`, checked_at: now() };
    }
    if (err instanceof ThrowawayTimeoutError) {
      return { status: 'failed', reason: `loading the module ${err.message}`, checked_at: now() };
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}
