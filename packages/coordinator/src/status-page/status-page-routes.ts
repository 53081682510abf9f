import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';

/** packages/coordinator/static, from src/status-page (vitest, tsx) and from dist/status-page (tsc). */
export const STATUS_PAGE_DIR = fileURLToPath(new URL('../../static/', import.meta.url));

/**
 * The compiled HTTP contract of @modfleet/common (its dist/contract), which the page imports as
 * `./contract/routes.js`: the page and the services read their paths from the same file.
 */
export const CONTRACT_DIR = join(dirname(createRequire(import.meta.url).resolve('@modfleet/common')), 'contract');
export const CONTRACT_URL_PREFIX = '/contract';

/** Only the page and its top-level assets reach the disk; every other path (the API) passes straight on. */
const STATIC_PATH = /^\/(?:[a-z0-9-]+\.(?:html|js|css|svg))?$/;
/** The contract's modules, and nothing else from that folder (no .d.ts, no source maps). */
const CONTRACT_PATH = /^\/[a-z0-9-]+\.js$/;

/** The page loads only its own files and talks only to its own origin; it may not be framed. */
export const STATUS_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    // The login form is read by the page's script and never submitted natively.
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Revalidate on every load so an upgraded coordinator never serves a stale script.
  'Cache-Control': 'no-cache',
};

/**
 * The status page at `/`: a static shell, served without auth. Every piece of data the page shows
 * comes from the authenticated API, called by the browser with the Basic credentials typed into
 * the page's login form.
 */
export function statusPageRoutes(): Router {
  const router = Router();
  router.use(serveFiles(STATUS_PAGE_DIR, STATIC_PATH));
  router.use(CONTRACT_URL_PREFIX, serveFiles(CONTRACT_DIR, CONTRACT_PATH));
  return router;
}

/** GET/HEAD of a path matching `allowed` from `dir`, with the page's headers; anything else passes on. */
function serveFiles(dir: string, allowed: RegExp): RequestHandler {
  const files = express.static(dir, {
    index: 'index.html',
    dotfiles: 'ignore',
    redirect: false,
    etag: true,
    lastModified: true,
    cacheControl: false,
    setHeaders: res => {
      for (const [name, value] of Object.entries(STATUS_PAGE_HEADERS)) res.setHeader(name, value);
    },
  });
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !allowed.test(req.path)) {
      next();
      return;
    }
    files(req, res, next);
  };
}
