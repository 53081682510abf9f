import type { IncomingMessage, ServerOptions } from 'node:http';

/** Headers must be complete this long after a connection opens or a request starts (slowloris): 408. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A keep-alive connection with no request in flight is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A request body must bring at least BODY_MIN_BYTES in every window this long, or its connection is cut. */
export const BODY_WINDOW_MS = 15_000;
export const BODY_MIN_BYTES = 16 * 1024;

export interface ConnectionLimits {
  headersTimeoutMs: number;
  bodyWindowMs: number;
  bodyMinBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  bodyWindowMs: BODY_WINDOW_MS,
  bodyMinBytes: BODY_MIN_BYTES,
};

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * Cuts a request whose body trickles in (a slow-body attack holds a connection, and whatever
 * the server buffered, open for as long as it likes). A whole-request timeout would also cut
 * a large upload on a slow but honest link; a minimum rate per window does not. A route that
 * stops reading (it refused the request) ends the response, which ends the check too.
 */
export function cutSlowBodies(req: IncomingMessage, limits: ConnectionLimits): void {
  if (!hasBody(req)) return;
  const socket = req.socket;
  let seen = socket.bytesRead;
  const timer = setInterval(() => {
    const read = socket.bytesRead;
    if (read - seen < limits.bodyMinBytes) {
      clearInterval(timer);
      socket.destroy();
      return;
    }
    seen = read;
  }, limits.bodyWindowMs);
  timer.unref();
  // A kept-alive socket outlives its requests: each request takes its listener off again.
  const stop = () => {
    clearInterval(timer);
    req.off('end', stop);
    req.off('close', stop);
    socket.off('close', stop);
  };
  req.once('end', stop);
  req.once('close', stop);
  socket.once('close', stop);
}

/** Header and keep-alive timeouts for a server's options (Node checks them for every connection it holds). */
export function serverTimeouts(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0, // large uploads may take long: cutSlowBodies holds them to a minimum rate instead
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Node checks the header timeout on this interval: keep it well under the timeout itself.
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs / 4),
  };
}
