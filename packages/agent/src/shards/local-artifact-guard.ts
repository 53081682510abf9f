import {
  artifactKey,
  NotAcceptableError,
  requirePermission,
  routes,
  type Authenticator,
  type ShardPlan,
} from '@modfleet/common';
import { Router } from 'express';

/**
 * A node's artifact that one of its shards loads cannot be deleted from under it: 406
 * `module_in_use` naming the databases. Mounted before the artifact routes.
 */
export function localArtifactGuardRoutes(deps: { auth: Authenticator; plans: () => Promise<ShardPlan[]> }): Router {
  const router = Router();
  router.delete(
    routes.localArtifact,
    requirePermission(deps.auth, 'manage_cluster_modules'),
    async (req, _res, next) => {
      const { moduleName, version } = req.params as { moduleName: string; version: string };
      const key = artifactKey(moduleName, Number(version));
      const users = (await deps.plans()).filter(plan =>
        plan.modules.some(m => artifactKey(m.module_name, m.version) === key),
      );
      if (users.length > 0) {
        const bdbs = [...new Set(users.map(plan => plan.bdb_uid))].join(', ');
        throw new NotAcceptableError('module_in_use', `Artifact ${key} is used by database(s) ${bdbs} on this node`);
      }
      next();
    },
  );
  return router;
}
