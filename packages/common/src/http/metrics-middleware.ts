import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics/metrics.js';

/** Times every request, labelled by route template (`/v1/nodes/:uid`), never by raw path. */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer({ method: req.method });
    res.once('finish', () => {
      const template = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched';
      stop({ route, status_code: String(res.statusCode) });
    });
    next();
  };
}
