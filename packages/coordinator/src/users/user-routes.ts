import {
  createUserSchema,
  currentUser,
  ForbiddenError,
  jsonBody,
  NotFoundError,
  requirePermission,
  routes,
  toPublicUser,
  updateUserSchema,
  validateBody,
  type Authenticator,
  type LoginLockout,
  type PublicUser,
  type UserRecord,
  type UserStore,
} from '@modfleet/common';
import { Router, type Response } from 'express';

export interface UserRoutesDeps {
  auth: Authenticator;
  users: UserStore;
  /** Shows locked users as `status: locked`; a password reset unlocks (as RS does it). */
  lockout?: LoginLockout | undefined;
}

function parseUid(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError('user_not_exist', `User ${raw} does not exist`);
  return Number(raw);
}

/** user_manager may manage users, but never create, promote, change or delete an admin. */
function refuseAdminChangeByNonAdmin(actor: PublicUser, ...roles: (string | undefined)[]): void {
  if (actor.role !== 'admin' && roles.includes('admin')) {
    throw new ForbiddenError('insufficient_permissions', 'Only an admin can create, change or delete admin users');
  }
}

export function userRoutes({ auth, users, lockout }: UserRoutesDeps): Router {
  const router = Router();
  const canView = requirePermission(auth, 'view_all_users_info');
  const canManage = requirePermission(auth, 'manage_users');
  const existing = async (uid: number) => {
    const user = await users.get(uid);
    if (!user) throw new NotFoundError('user_not_exist', `User ${uid} does not exist`);
    return user;
  };
  const withStatus = async (records: UserRecord[]): Promise<PublicUser[]> => {
    const locked = lockout ? await lockout.lockedAmong(records.map(record => record.email)) : new Set<string>();
    return records.map(record => ({
      ...toPublicUser(record),
      ...(locked.has(record.email) && { status: 'locked' as const }),
    }));
  };
  const afterChange = (res: Response, user: PublicUser) => {
    auth.invalidate();
    res.json(user);
  };

  router.get(routes.users, canView, async (_req, res) => {
    res.json(await withStatus(await users.list()));
  });

  router.get(routes.user, canView, async (req, res) => {
    const [user] = await withStatus([await existing(parseUid(req.params.uid as string))]);
    res.json(user);
  });

  router.post(routes.users, canManage, ...jsonBody(), async (req, res) => {
    const input = validateBody(createUserSchema, req.body, 'invalid_schema');
    refuseAdminChangeByNonAdmin(currentUser(res), input.role);
    const user = toPublicUser(await users.create(input));
    req.log.info({ uid: user.uid, role: user.role }, 'user created');
    afterChange(res, user);
  });

  router.put(routes.user, canManage, ...jsonBody(), async (req, res) => {
    const uid = parseUid(req.params.uid as string);
    const patch = validateBody(updateUserSchema, req.body, 'invalid_schema');
    const target = await existing(uid);
    refuseAdminChangeByNonAdmin(currentUser(res), target.role, patch.role);
    const user = toPublicUser(await users.update(uid, patch));
    if (patch.password !== undefined) await lockout?.unlock(user.email);
    req.log.info({ uid, role: user.role, passwordChanged: patch.password !== undefined }, 'user updated');
    afterChange(res, user);
  });

  router.delete(routes.user, canManage, async (req, res) => {
    const uid = parseUid(req.params.uid as string);
    const target = await existing(uid);
    refuseAdminChangeByNonAdmin(currentUser(res), target.role);
    await users.delete(uid);
    req.log.info({ uid }, 'user deleted');
    auth.invalidate();
    res.json({});
  });

  return router;
}
