import { Router } from 'express';
import { routes } from '../contract/routes.js';
import type { HealthAnswer } from '../contract/views.js';

const isLoopbackAddress = (address: string | undefined) =>
  address !== undefined && (/^(::ffff:)?127\./.test(address) || address === '::1');

const REDIS_DOWN = 'The cluster configuration store (Redis) does not answer';

/**
 * GET /healthz for both services: 200 while `healthy()` holds (Redis reachable) and `problem()`
 * names none (e.g. the CCS lost its data), 503 with the reason otherwise.
 */
export function healthRoute(
  healthy: () => Promise<boolean>,
  problem: () => string | undefined = () => undefined,
): Router {
  const router = Router();
  router.get(routes.healthz, async (req, res) => {
    const ok = await healthy();
    const reason = ok ? problem() : REDIS_DOWN;
    // Nothing about the process for callers elsewhere: the pid only helps a local supervisor.
    const pid = isLoopbackAddress(req.socket.remoteAddress) ? { pid: process.pid } : {};
    const answer: HealthAnswer = ok
      ? reason === undefined
        ? { status: 'ok', ...pid }
        : { status: 'ccs_lost', ...pid, reason }
      : { status: 'redis_unavailable', ...pid, reason };
    res.status(ok && reason === undefined ? 200 : 503).json(answer);
  });
  return router;
}
