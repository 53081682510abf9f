import {
  clusterSettingsPatchSchema,
  jsonBody,
  requirePermission,
  routes,
  validateBody,
  type Authenticator,
  type CachedClusterSettingsStore,
} from '@modfleet/common';
import { Router } from 'express';

export interface ClusterRoutesDeps {
  auth: Authenticator;
  /** The service's cached settings (uploads and logins read them); this route reads and writes through to Redis. */
  settings: CachedClusterSettingsStore;
}

export function clusterRoutes({ auth, settings }: ClusterRoutesDeps): Router {
  const router = Router();

  router.get(routes.cluster, requirePermission(auth, 'view_cluster_info'), async (_req, res) => {
    // Read from Redis like every other CCS route, never the cached copy: while Redis is away this
    // answers 503 redis_unavailable as they do, and an answer is never a copy up to 30 s old.
    res.json(await settings.fresh());
  });

  router.put(routes.cluster, requirePermission(auth, 'update_cluster'), ...jsonBody(), async (req, res) => {
    const patch = validateBody(clusterSettingsPatchSchema, req.body, 'invalid_schema');
    const updated = await settings.update(patch);
    req.log.info({ patch }, 'cluster settings updated');
    res.json(updated);
  });

  return router;
}
