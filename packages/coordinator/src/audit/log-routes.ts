import { BadRequestError, requirePermission, routes, type Authenticator, type LogQuery } from '@modfleet/common';
import { Router, type Request } from 'express';
import type { EventLog } from './event-log.js';

const MAX_LIMIT = 10_000;

function isoTime(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new BadRequestError('invalid_param', `${name} must be an ISO 8601 time, e.g. 2026-12-07T16:00:00Z`);
  }
  return value;
}

function count(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw new BadRequestError('invalid_param', `${name} must be a whole number from 0`);
  }
  return Math.min(Number(value), MAX_LIMIT);
}

/** RS's query parameters, each checked: a wrong one is a 400 that names it. */
function logQuery(req: Request): LogQuery {
  const { stime, etime, order, limit, offset } = req.query;
  if (order !== undefined && order !== 'asc' && order !== 'desc') {
    throw new BadRequestError('invalid_param', 'order must be asc or desc');
  }
  return {
    stime: isoTime(stime, 'stime'),
    etime: isoTime(etime, 'etime'),
    order,
    limit: count(limit, 'limit'),
    offset: count(offset, 'offset'),
  };
}

/** `GET /v1/logs`: the cluster event log, as RS serves it (permission view_logged_events). */
export function logRoutes(deps: { auth: Authenticator; events: EventLog }): Router {
  const router = Router();
  router.get(routes.logs, requirePermission(deps.auth, 'view_logged_events'), async (req, res) => {
    res.json(await deps.events.list(logQuery(req)));
  });
  return router;
}
