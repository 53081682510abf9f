import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';

/** packages/coordinator/static, from src/status-page (vitest, tsx) and from dist/status-page (tsc). */
export const STATUS_PAGE_DIR = fileURLToPath(new URL('../../static/', import.meta.url));

/** Only the page and its top-level assets reach the disk; every other path (the API) passes straight on. */
const STATIC_PATH = /^\/(?:[a-z0-9-]+\.(?:html|js|css|svg))?$/;

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
  const files = express.static(STATUS_PAGE_DIR, {
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
  const servePage: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !STATIC_PATH.test(req.path)) {
      next();
      return;
    }
    files(req, res, next);
  };
  router.use(servePage);
  return router;
}
