import {
  NotFoundError,
  requirePermission,
  toActionObject,
  type ActionStore,
  type Authenticator,
} from '@modfleet/common';
import { Router } from 'express';

export function actionRoutes({ auth, actions }: { auth: Authenticator; actions: ActionStore }): Router {
  const router = Router();
  const canView = requirePermission(auth, 'view_status_of_cluster_action');

  router.get('/v2/actions', canView, async (_req, res) => {
    res.json((await actions.list(200)).map(({ meta, ops }) => toActionObject(meta, ops)));
  });

  router.get('/v2/actions/:uid', canView, async (req, res) => {
    const stored = await actions.get(req.params.uid as string);
    if (!stored) throw new NotFoundError('action_not_exist', `Action ${req.params.uid as string} does not exist`);
    res.json(toActionObject(stored.meta, stored.ops));
  });

  return router;
}
