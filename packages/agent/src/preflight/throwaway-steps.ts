import { basename } from 'node:path';
import { loaderReason, type ThrowawayRedis } from '@modfleet/common';
import { splitModuleArgs, type LoadedModule } from '../shards/shard-args.js';

/** Loads each module with its args as the shard would; the loader's own words when one is refused. */
export async function loadModules(server: ThrowawayRedis, modules: LoadedModule[]): Promise<string | undefined> {
  for (const module of modules) {
    const logBefore = (await server.log()).length;
    try {
      await server.call('MODULE', 'LOAD', module.path, ...splitModuleArgs(module.args));
    } catch (err) {
      const log = (await server.log()).slice(logBefore);
      const fallback = err instanceof Error ? err.message : String(err);
      return loaderReason({ log, loadedPath: module.path, shownAs: basename(module.path), fallback });
    }
  }
  return undefined;
}

/**
 * Loads `<server dir>/dump.rdb` into the running server (DEBUG RELOAD NOSAVE: the same RDB loader
 * a start uses, with the modules already loaded); the loader's own words when it cannot.
 */
export async function loadRdb(server: ThrowawayRedis): Promise<string | undefined> {
  const logBefore = (await server.log()).length;
  try {
    await server.call('DEBUG', 'RELOAD', 'NOSAVE');
    return undefined;
  } catch (err) {
    const log = (await server.log()).slice(logBefore);
    const fallback = err instanceof Error ? err.message : String(err);
    return loaderReason({ log, loadedPath: server.dir, shownAs: '.', fallback });
  }
}

/**
 * redis-server options the pre-flight's throwaway servers need beyond the load check's. The
 * rehearsal's `SAVE` is uncompressed: LZF on 100 MiB of values took about 1 s of CPU (1.1-1.2 s
 * against 0.2 s uncompressed, two cores), and what it checks (the current modules read what the
 * target's wrote) does not depend on the core's string compression.
 */
export const PREFLIGHT_SERVER_ARGS = ['--enable-debug-command', 'local', '--rdbcompression', 'no'];
