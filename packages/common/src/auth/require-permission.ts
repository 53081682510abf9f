import type { RequestHandler, Response } from 'express';
import type { PublicUser } from '../users/user-types.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { roleHasPermission, type Permission } from '../roles.js';
import type { Authenticator } from './authenticator.js';
import { parseBasicAuthorization } from './basic-credentials.js';
import { clientKey } from './login-lockout.js';

export const BASIC_CHALLENGE = 'Basic realm="modfleet", charset="UTF-8"';

/** RS answers 401 with a Basic challenge for missing or wrong credentials, 403 when the role lacks the permission. */
export function requirePermission(auth: Authenticator, permission: Permission): RequestHandler {
  return async (req, res, next) => {
    const credentials = parseBasicAuthorization(req.headers.authorization);
    const user =
      credentials &&
      (await auth
        .verify(credentials.email, credentials.password, clientKey(req.socket.remoteAddress))
        .catch((err: unknown) => {
          res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
          throw err;
        }));
    if (!user) {
      res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
      throw new UnauthorizedError();
    }
    if (!roleHasPermission(user.role, permission)) {
      throw new ForbiddenError('insufficient_permissions', `Role ${user.role} lacks the ${permission} permission`);
    }
    res.locals.user = user;
    next();
  };
}

export function currentUser(res: Response): PublicUser {
  const user = res.locals.user as PublicUser | undefined;
  if (!user) throw new Error('currentUser() used on a route without requirePermission()');
  return user;
}
