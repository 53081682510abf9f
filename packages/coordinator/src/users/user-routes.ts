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
  type PublicUser,
  type UserStore,
} from '@modfleet/common';
import { Router, type Response } from 'express';

export interface UserRoutesDeps {
  auth: Authenticator;
  users: UserStore;
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

export function userRoutes({ auth, users }: UserRoutesDeps): Router {
  const router = Router();
  const canView = requirePermission(auth, 'view_all_users_info');
  const canManage = requirePermission(auth, 'manage_users');
  const existing = async (uid: number) => {
    const user = await users.get(uid);
    if (!user) throw new NotFoundError('user_not_exist', `User ${uid} does not exist`);
    return user;
  };
  const afterChange = (res: Response, user: PublicUser) => {
    auth.invalidate();
    res.json(user);
  };

  router.get(routes.users, canView, async (_req, res) => {
    res.json((await users.list()).map(toPublicUser));
  });

  router.get(routes.user, canView, async (req, res) => {
    res.json(toPublicUser(await existing(parseUid(req.params.uid as string))));
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
