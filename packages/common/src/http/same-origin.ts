import type { RequestHandler } from 'express';
import { ForbiddenError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser names the page that sent a request in `Origin`. A state-changing request from any
 * page but this service's own is refused: a browser holding Basic credentials for this service
 * would otherwise send them along with whatever another site's page asks. Clients that are no
 * browser (curl, the CLI, the agents) send no Origin and are not affected.
 */
export function refuseCrossOrigin(): RequestHandler {
  return (req, _res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || SAFE_METHODS.has(req.method)) return next();
    const own = `${req.protocol}://${req.headers.host ?? ''}`.toLowerCase();
    if (origin.toLowerCase() !== own) {
      throw new ForbiddenError('cross_origin_request', `Requests from ${origin} may not change this service's state`);
    }
    next();
  };
}
