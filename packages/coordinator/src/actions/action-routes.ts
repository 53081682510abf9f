import {
  NotAcceptableError,
  NotFoundError,
  requirePermission,
  routes,
  toActionObject,
  type ActionStore,
  type Authenticator,
} from '@modfleet/common';
import { Router } from 'express';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

/** `?limit=N` (1-1000): a page polling every second needs the newest few, not all of them. */
function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new NotAcceptableError('invalid_limit', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

export function actionRoutes({ auth, actions }: { auth: Authenticator; actions: ActionStore }): Router {
  const router = Router();
  const canView = requirePermission(auth, 'view_status_of_cluster_action');

  router.get(routes.actions, canView, async (req, res) => {
    res.json((await actions.list(parseLimit(req.query.limit))).map(({ meta, ops }) => toActionObject(meta, ops)));
  });

  router.get(routes.action, canView, async (req, res) => {
    const stored = await actions.get(req.params.uid as string);
    if (!stored) throw new NotFoundError('action_not_exist', `Action ${req.params.uid as string} does not exist`);
    res.json(toActionObject(stored.meta, stored.ops));
  });

  return router;
}
