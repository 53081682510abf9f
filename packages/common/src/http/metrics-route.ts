import { Router, type RequestHandler } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { requirePermission } from '../auth/require-permission.js';
import { routes } from '../contract/routes.js';
import type { Metrics } from '../metrics/metrics.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * `/metrics` in Prometheus text format. Open when the service only listens on loopback or
 * MODFLEET_METRICS_PUBLIC=true; otherwise it needs admin credentials, as its labels describe the cluster.
 */
export function metricsRoute(metrics: Metrics, access: { open: boolean; auth: Authenticator }): Router {
  const router = Router();
  const guard: RequestHandler[] = access.open ? [] : [requirePermission(access.auth, 'view_metrics')];
  router.get(routes.metrics, ...guard, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
