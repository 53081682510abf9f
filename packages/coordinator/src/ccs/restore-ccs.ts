import { ensureCcsMarker, type Logger, type RedisKeys, type UserStore } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { ensureAdmin, NoAdminError, redisBootstrapMarker } from '../users/bootstrap-admin.js';

export interface CcsRestoreDeps {
  redis: Redis;
  keys: RedisKeys;
  users: UserStore;
  admin: { email: string; password: string | undefined };
  /** The secret every service signs with now, and whether it came from the configuration. */
  clusterSecret: { value: string; configured: boolean };
  logger: Logger;
}

/**
 * Redis came back empty: put back what this coordinator can (the bootstrap admin when one is
 * configured, the cluster secret it signs with), then a new marker. Users created through the
 * API, nodes, the fleet's desired state and actions are gone: agents register again by themselves,
 * artifacts must be pushed again.
 */
export async function restoreCcs(deps: CcsRestoreDeps): Promise<void> {
  const { redis, keys, logger } = deps;
  try {
    await ensureAdmin(deps.users, deps.admin, logger, redisBootstrapMarker(redis, keys));
  } catch (err) {
    if (!(err instanceof NoAdminError)) throw err;
    logger.error(`CCS LOST: ${err.message}; until then nobody can log in`);
  }
  if (!deps.clusterSecret.configured) {
    // Agents still sign with the secret they read at start: writing it back keeps them working.
    await redis.set(keys.clusterSecret, deps.clusterSecret.value, 'NX');
    logger.error(
      'CCS LOST: the generated cluster secret was lost with it and restored from this coordinator; services started from the lost CCS with another coordinator will fail signatures: set MODFLEET_CLUSTER_SECRET so it survives',
    );
  }
  const epoch = await ensureCcsMarker(redis, keys);
  logger.error(
    { epoch },
    'CCS re-created: bootstrap admin and cluster secret restored; agents register again; push the fleet artifacts again',
  );
}
