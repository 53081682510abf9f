import {
  jsonBody,
  moduleObjectBodySchema,
  NotFoundError,
  requirePermission,
  requireUploadsAllowed,
  routes,
  validateBody,
  type Authenticator,
  type ClusterSettingsStore,
} from '@modfleet/common';
import { Router } from 'express';
import type { ModuleStore } from './module-store.js';

export interface ModuleRoutesDeps {
  auth: Authenticator;
  settings: Pick<ClusterSettingsStore, 'get'>;
  modules: ModuleStore;
}

/** The CCS side of RS user-defined modules: the module object, never the artifact. */
export function moduleRoutes({ auth, settings, modules }: ModuleRoutesDeps): Router {
  const router = Router();

  router.get(routes.modules, requirePermission(auth, 'view_cluster_modules'), async (_req, res) => {
    res.json(await modules.list());
  });

  router.get(routes.module, requirePermission(auth, 'view_cluster_modules'), async (req, res) => {
    const module = await modules.get(req.params.uid as string);
    if (!module) throw new NotFoundError('module_not_exist', `Module ${req.params.uid as string} does not exist`);
    res.json(module);
  });

  router.post(
    routes.userDefinedModules,
    requirePermission(auth, 'manage_cluster_modules'),
    requireUploadsAllowed(settings),
    ...jsonBody(),
    async (req, res) => {
      const definition = validateBody(moduleObjectBodySchema, req.body, 'invalid_module');
      const module = await modules.create(definition);
      req.log.info(
        { uid: module.uid, module_name: module.module_name, version: module.version },
        'module object created',
      );
      res.json(module);
    },
  );

  router.delete(routes.userDefinedModule, requirePermission(auth, 'manage_cluster_modules'), async (req, res) => {
    const uid = req.params.uid as string;
    if (!(await modules.delete(uid))) throw new NotFoundError('module_delete_failed', `Module ${uid} does not exist`);
    req.log.info({ uid }, 'module object deleted');
    res.json({});
  });

  return router;
}
