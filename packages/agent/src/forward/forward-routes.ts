import { Router } from 'express';
import { clusterRouteTemplates } from './forwarded-routes.js';
import { forwardToCoordinator, type ForwardOptions } from './forward-to-coordinator.js';

/** Every cluster route, answered by the coordinator through this node. */
export function forwardRoutes(options: ForwardOptions): Router {
  const router = Router();
  const forward = forwardToCoordinator(options);
  // One route per template, so the request metrics are labelled by template, as for local routes.
  for (const template of clusterRouteTemplates) router.all(template, forward);
  return router;
}
