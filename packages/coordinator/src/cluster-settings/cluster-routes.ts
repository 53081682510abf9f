import {
  clusterSettingsPatchSchema,
  jsonBody,
  requirePermission,
  routes,
  validateBody,
  type Authenticator,
  type ClusterSettingsStore,
} from '@modfleet/common';
import { Router } from 'express';

export interface ClusterRoutesDeps {
  auth: Authenticator;
  settings: ClusterSettingsStore;
}

export function clusterRoutes({ auth, settings }: ClusterRoutesDeps): Router {
  const router = Router();

  router.get(routes.cluster, requirePermission(auth, 'view_cluster_info'), async (_req, res) => {
    res.json(await settings.get());
  });

  router.put(routes.cluster, requirePermission(auth, 'update_cluster'), ...jsonBody(), async (req, res) => {
    const patch = validateBody(clusterSettingsPatchSchema, req.body, 'invalid_schema');
    const updated = await settings.update(patch);
    req.log.info({ patch }, 'cluster settings updated');
    res.json(updated);
  });

  return router;
}
