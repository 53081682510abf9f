import type { Logger, RedisKeys, UserStore } from '@modfleet/common';
import type { Redis } from 'ioredis';

export class NoAdminError extends Error {
  constructor() {
    super(
      'The cluster has no users yet: set MODFLEET_ADMIN_PASSWORD (and optionally MODFLEET_ADMIN_EMAIL) to create the first admin',
    );
    this.name = 'NoAdminError';
  }
}

/** Where the CCS records that the cluster was set up (the bootstrap admin made). */
export interface BootstrapMarker {
  isSet(): Promise<boolean>;
  set(): Promise<void>;
}

export function redisBootstrapMarker(redis: Pick<Redis, 'get' | 'set'>, keys: RedisKeys): BootstrapMarker {
  return {
    isSet: async () => (await redis.get(keys.adminBootstrapped)) !== null,
    set: async () => {
      await redis.set(keys.adminBootstrapped, new Date().toISOString(), 'NX');
    },
  };
}

/**
 * The cluster's first start creates the admin from the configured credentials and marks the
 * CCS as set up; every later start leaves users alone, so an admin deleted (or renamed) through
 * the API stays so, whatever MODFLEET_ADMIN_PASSWORD still says. A CCS that was lost comes back
 * without the marker and gets its admin again.
 */
export async function ensureAdmin(
  users: UserStore,
  admin: { email: string; password: string | undefined },
  logger: Logger,
  marker: BootstrapMarker,
): Promise<void> {
  if (await marker.isSet()) return;
  if ((await users.count()) > 0) {
    // A cluster set up before the marker existed: it has its users already.
    await marker.set();
    return;
  }
  if (!admin.password) throw new NoAdminError();
  try {
    const created = await users.create({
      email: admin.email,
      password: admin.password,
      role: 'admin',
      name: 'Administrator',
    });
    logger.info({ uid: created.uid, email: created.email }, 'admin user created');
  } catch (err) {
    // Another coordinator created it between our check and our create.
    if ((err as { code?: string }).code !== 'email_already_exists') throw err;
  }
  await marker.set();
}
