import {
  errorMiddleware,
  notFoundHandler,
  requestLogger,
  type Authenticator,
  type ClusterSettingsStore,
  type Logger,
  type UserStore,
} from '@modfleet/common';
import express, { type Express } from 'express';
import { clusterRoutes } from './cluster/cluster-routes.js';
import { moduleRoutes } from './modules/module-routes.js';
import type { ModuleStore } from './modules/module-store.js';
import { userRoutes } from './users/user-routes.js';

export interface CoordinatorAppDeps {
  logger: Logger;
  auth: Authenticator;
  users: UserStore;
  settings: ClusterSettingsStore;
  modules: ModuleStore;
  healthy: () => Promise<boolean>;
}

/** Builds the coordinator's HTTP app (the CCS routes); it never listens. */
export function createCoordinatorApp(deps: CoordinatorAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(deps.logger));
  app.get('/healthz', async (_req, res) => {
    const ok = await deps.healthy();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'redis_unavailable' });
  });
  app.use(moduleRoutes(deps));
  app.use(userRoutes(deps));
  app.use(clusterRoutes(deps));
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  return app;
}
