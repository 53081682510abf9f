import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import { REQUEST_ID_HEADER, ServiceUnavailableError } from '@modfleet/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { keepAliveTransport, type CoordinatorTransport } from './coordinator-transport.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forwarded-headers.js';

export const COORDINATOR_UNAVAILABLE = 'coordinator_unavailable';

export interface ForwardOptions {
  /** The coordinator to send this request to, asked per request (a failover list plugs in here); undefined when standalone. */
  coordinatorUrl: () => string | undefined;
  /** Connection pools per coordinator URL; default: keep-alive pools with Node's usual trust. */
  transport?: CoordinatorTransport;
  /** No TCP connection within this long: the coordinator counts as unreachable. */
  connectTimeoutMs?: number;
  /** No byte either way for this long once connected: the exchange is abandoned. */
  idleTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

function unavailable(description: string): ServiceUnavailableError {
  return new ServiceUnavailableError(COORDINATOR_UNAVAILABLE, description);
}

/**
 * Passes the request to the coordinator and its answer back, both bodies streamed with
 * backpressure (a 1 GiB push never sits in this process). `Expect: 100-continue` goes upstream
 * as sent and this node sends `100 Continue` only once the coordinator has, so a refused upload
 * (401, 403, 413) is refused before its body moves.
 */
export function forwardToCoordinator(options: ForwardOptions): RequestHandler {
  const transport = options.transport ?? keepAliveTransport();
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

  return (req: Request, res: Response, next: NextFunction) => {
    const base = options.coordinatorUrl();
    if (!base) {
      next(unavailable('This node is not a member of a cluster: it has no coordinator to pass the request to'));
      return;
    }
    const target = new URL(base);
    const requestId = res.getHeader(REQUEST_ID_HEADER);
    const upstream = (target.protocol === 'https:' ? httpsRequest : httpRequest)({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: `${target.pathname.replace(/\/$/, '')}${req.originalUrl}`,
      headers: upstreamRequestHeaders(req, typeof requestId === 'string' ? requestId : undefined),
      agent: transport(target),
      timeout: idleTimeoutMs,
    });

    let responded = false;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      req.unpipe(upstream);
      // Once the answer is streaming, its own pipeline ends or cuts the response; only the request side stops here.
      if (responded) return;
      upstream.destroy();
      req.log.warn({ err, coordinator: target.origin }, 'could not pass the request to the coordinator');
      next(unavailable("This node cannot reach the cluster's coordinator; try again shortly"));
    };

    upstream.on('error', fail);
    upstream.on('timeout', () => {
      const err = new Error(`the coordinator sent nothing for ${idleTimeoutMs} ms`);
      if (!responded) {
        fail(err);
        return;
      }
      // Stalled in the middle of its answer: cut it, so the client does not wait forever either.
      done = true;
      upstream.destroy(err);
    });
    upstream.on('socket', socket => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        () => fail(new Error(`no connection to the coordinator within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    let bodySent = false;
    upstream.on('response', (answer: IncomingMessage) => {
      responded = true;
      relayAnswer(answer, res, err => {
        // An upload refused before `100 Continue` never ends its upstream request: free the socket.
        if (err || !bodySent) {
          done = true;
          upstream.destroy();
        }
      });
    });
    res.on('close', () => {
      // The client went away before the whole answer: stop the coordinator's side too.
      if (!res.writableFinished) {
        done = true;
        upstream.destroy();
      }
    });

    const sendBody = () => {
      bodySent = true;
      req.pipe(upstream);
    };
    if (/100-continue/i.test(String(req.headers.expect ?? ''))) {
      upstream.once('continue', () => {
        res.writeContinue();
        sendBody();
      });
      upstream.flushHeaders();
    } else {
      sendBody();
    }
  };
}

function relayAnswer(answer: IncomingMessage, res: ServerResponse, ended: (err: Error | null) => void): void {
  res.writeHead(answer.statusCode ?? 502, answer.statusMessage, downstreamResponseHeaders(answer));
  pipeline(answer, res, err => ended(err ?? null));
}
