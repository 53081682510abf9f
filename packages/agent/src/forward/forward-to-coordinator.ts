import {
  PROXY_CONNECT_TIMEOUT_MS,
  PROXY_IDLE_TIMEOUT_MS,
  REQUEST_ID_HEADER,
  ServiceUnavailableError,
} from '@modfleet/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CoordinatorPool } from '../fleet/coordinator-pool.js';
import { keepAliveTransport, type CoordinatorTransport } from './coordinator-transport.js';
import { ForwardFailure, forwardOnce, type Exchange } from './forward-attempt.js';
import { upstreamRequestHeaders } from './forwarded-headers.js';

export const COORDINATOR_UNAVAILABLE = 'coordinator_unavailable';

export interface ForwardOptions {
  /**
   * The coordinators to pass requests to (MODFLEET_COORDINATOR_URL), tried in turn; the pool
   * remembers which one answered. Undefined when standalone.
   */
  coordinators: Pick<CoordinatorPool, 'attempt'> | undefined;
  /** Connection pools per coordinator URL; default: keep-alive pools with Node's usual trust. */
  transport?: CoordinatorTransport;
  /** No TCP connection (and TLS handshake) within this long: the coordinator counts as unreachable. */
  connectTimeoutMs?: number;
  /** No byte either way for this long once connected: the exchange is abandoned. */
  idleTimeoutMs?: number;
}

function unavailable(description: string): ServiceUnavailableError {
  return new ServiceUnavailableError(COORDINATOR_UNAVAILABLE, description);
}

function sendsBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Passes the request to the coordinator and its answer back, both bodies streamed with
 * backpressure (a 1 GiB push never sits in this process). `Expect: 100-continue` goes upstream
 * as sent and this node sends `100 Continue` only once the coordinator has, so a refused upload
 * (401, 403, 413) is refused before its body moves. A coordinator that cannot be reached before
 * the body moves (refused, reset, no connection in time) hands the request to the next one.
 */
export function forwardToCoordinator(options: ForwardOptions): RequestHandler {
  const limits = {
    transport: options.transport ?? keepAliveTransport(),
    connectTimeoutMs: options.connectTimeoutMs ?? PROXY_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? PROXY_IDLE_TIMEOUT_MS,
  };

  return (req: Request, res: Response, next: NextFunction) => {
    const { coordinators } = options;
    if (!coordinators) {
      next(unavailable('This node is not a member of a cluster: it has no coordinator to pass the request to'));
      return;
    }
    const requestId = res.getHeader(REQUEST_ID_HEADER);
    const exchange: Exchange = {
      req,
      res,
      headers: upstreamRequestHeaders(req, typeof requestId === 'string' ? requestId : undefined),
      hasBody: sendsBody(req),
      bodyConsumed: false,
      clientGone: false,
    };
    res.on('close', () => {
      // The client went away before the whole answer: stop the coordinator's side too.
      if (res.writableFinished) return;
      exchange.clientGone = true;
      exchange.current?.destroy();
    });

    const tryNext = (err: unknown) => {
      if (!(err instanceof ForwardFailure)) return false;
      req.log.warn({ err, coordinator: err.coordinator, retryable: err.retryable }, 'coordinator did not answer');
      return err.retryable;
    };
    coordinators
      .attempt(base => forwardOnce(base, exchange, limits), tryNext)
      .catch((err: unknown) => {
        if (exchange.clientGone) return;
        if (err instanceof ForwardFailure && err.mayHaveActed) {
          next(
            unavailable(
              'The coordinator went away before it answered and may have acted on this request: check (GET /v2/actions) before sending it again',
            ),
          );
          return;
        }
        next(unavailable("This node cannot reach the cluster's coordinator; try again shortly"));
      });
  };
}
