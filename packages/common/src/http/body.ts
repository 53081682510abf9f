import express, { type Request, type RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../errors.js';

/**
 * Sends `100 Continue` to a client that waits for it (curl does for bodies over 1 MiB).
 * Placed after auth and other cheap checks, so a refused request never uploads its body.
 */
export function acceptBody(): RequestHandler {
  return (req, res, next) => {
    if (/100-continue/i.test(req.headers.expect ?? '') && !res.headersSent) res.writeContinue();
    next();
  };
}

const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * A body on a JSON route must say it is JSON: a browser sends `text/plain` or a form to another
 * site without asking it first (no CORS preflight), so accepting those would let any web page
 * that a signed-in browser visits change the cluster.
 */
export function requireJsonContent(): RequestHandler {
  return (req, _res, next) => {
    if (hasBody(req) && !req.is('application/json')) {
      throw new UnsupportedMediaTypeError(
        'unsupported_media_type',
        `The request body must be JSON sent as application/json (got ${req.headers['content-type'] ?? 'no content type'})`,
      );
    }
    next();
  };
}

export function jsonBody(limit = '1mb'): RequestHandler[] {
  return [requireJsonContent(), acceptBody(), express.json({ limit, strict: true, type: 'application/json' })];
}
