import express, { type RequestHandler } from 'express';

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

export function jsonBody(limit = '1mb'): RequestHandler[] {
  return [acceptBody(), express.json({ limit, strict: true, type: () => true })];
}
