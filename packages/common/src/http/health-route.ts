import { Router } from 'express';
import { routes } from '../contract/routes.js';
import type { HealthAnswer } from '../contract/views.js';

/** GET /healthz for both services: 200 while `healthy()` holds (Redis reachable), 503 otherwise. */
export function healthRoute(healthy: () => Promise<boolean>): Router {
  const router = Router();
  router.get(routes.healthz, async (_req, res) => {
    const ok = await healthy();
    const answer: HealthAnswer = { status: ok ? 'ok' : 'redis_unavailable', pid: process.pid };
    res.status(ok ? 200 : 503).json(answer);
  });
  return router;
}
