import type { Logger, UserStore } from '@modfleet/common';

export class NoAdminError extends Error {
  constructor() {
    super(
      'The cluster has no users yet: set MODFLEET_ADMIN_PASSWORD (and optionally MODFLEET_ADMIN_EMAIL) to create the first admin',
    );
    this.name = 'NoAdminError';
  }
}

/**
 * First start creates the admin from the configured credentials; later starts leave users
 * alone (the password may have been changed through the API since).
 */
export async function ensureAdmin(
  users: UserStore,
  admin: { email: string; password: string | undefined },
  logger: Logger,
): Promise<void> {
  if (await users.findByEmail(admin.email)) return;
  if (!admin.password) {
    if ((await users.count()) === 0) throw new NoAdminError();
    return;
  }
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
}
