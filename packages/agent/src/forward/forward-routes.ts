import { Router } from 'express';
import { clusterRouteTemplates } from './forwarded-routes.js';
import { forwardToCoordinator, type ForwardOptions } from './forward-to-coordinator.js';

/** Every cluster route, answered by the coordinator through this node. */
export function forwardRoutes(options: ForwardOptions): Router {
  const router = Router();
  router.all(clusterRouteTemplates, forwardToCoordinator(options));
  return router;
}
