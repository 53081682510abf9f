import { AppError, routes } from '@modfleet/common';
import { Router } from 'express';

class MethodNotAllowedError extends AppError {
  readonly status = 405;
}

/**
 * RS 8 dropped upload and delete on /v1/modules but still serves GET there: 405 with an RS body,
 * which redisctl reads as "upload via REST not supported on this version" (a 404 reads as not found).
 */
export function v1ModuleUploadGoneRoutes(): Router {
  const router = Router();
  const gone = (what: string) => () => {
    throw new MethodNotAllowedError(
      'method_not_allowed',
      `${what} on /v1/modules is not supported on this version: use /v2/modules/user-defined`,
    );
  };
  router.post(
    routes.modules,
    (_req, res, next) => {
      res.setHeader('Allow', 'GET');
      next();
    },
    gone('Upload'),
  );
  router.delete(
    routes.module,
    (_req, res, next) => {
      res.setHeader('Allow', 'GET');
      next();
    },
    gone('Delete'),
  );
  return router;
}
