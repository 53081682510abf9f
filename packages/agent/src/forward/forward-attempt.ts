import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Request, Response } from 'express';
import type { CoordinatorTransport } from './coordinator-transport.js';
import { downstreamResponseHeaders } from './forwarded-headers.js';

/** One client request on its way through this node, across the coordinators tried for it. */
export interface Exchange {
  req: Request;
  res: Response;
  headers: OutgoingHttpHeaders;
  /** Content-Length above 0 or a Transfer-Encoding: the client sends a body. */
  hasBody: boolean;
  /** Set once the body started to flow upstream: it cannot be sent to another coordinator after that. */
  bodyConsumed: boolean;
  /** The client went away: nothing more is tried for it. */
  clientGone: boolean;
  /** The coordinator request in progress, so a client that goes away stops it. */
  current?: ClientRequest;
}

export interface AttemptLimits {
  transport: CoordinatorTransport;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Methods that change nothing: one sent to a coordinator that then went away can go to another. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A coordinator did not answer. `retryable`: nothing was sent that another coordinator cannot be
 * sent again. `mayHaveActed`: a request that changes something reached it, so it may have acted.
 */
export class ForwardFailure extends Error {
  constructor(
    message: string,
    readonly coordinator: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
    readonly mayHaveActed = false,
  ) {
    super(message, options);
    this.name = 'ForwardFailure';
  }
}

/**
 * Sends the exchange to the coordinator at `base`. Resolves once the coordinator's answer starts
 * (it then streams to the client); rejects with a ForwardFailure when it did not answer.
 *
 * A body waits for the connection (and its TLS handshake) and, with `Expect: 100-continue`, for the
 * coordinator's `100 Continue`: a connection that fails first leaves the body unread, so another
 * coordinator can take the request. A bodyless request goes to another one unless it changes
 * something and reached the first: a GET always can, a DELETE only if it never got there.
 */
export function forwardOnce(base: string, exchange: Exchange, limits: AttemptLimits): Promise<void> {
  const { req, res } = exchange;
  const target = new URL(base);
  return new Promise((resolve, reject) => {
    const upstream = (target.protocol === 'https:' ? httpsRequest : httpRequest)({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: `${target.pathname.replace(/\/$/, '')}${req.originalUrl}`,
      headers: exchange.headers,
      agent: limits.transport(target),
      timeout: limits.idleTimeoutMs,
    });
    exchange.current = upstream;
    let connected = false;
    let answered = false;
    let settled = false;
    let requestSent = false;

    const fail = (err: Error, { silentCoordinator = false } = {}) => {
      if (exchange.bodyConsumed) req.unpipe(upstream);
      if (settled) return;
      settled = true;
      upstream.destroy();
      // A coordinator that took the request and went silent may be acting on it: no second one is asked.
      // Nor is one for a bodyless DELETE or POST (…/sync) it received: it may have acted before it
      // went away, and a second coordinator would act again (two actions for one request).
      const mayHaveActed = connected && requestSent && !SAFE_METHODS.has(req.method);
      const retryable = !exchange.clientGone && !exchange.bodyConsumed && !silentCoordinator && !mayHaveActed;
      reject(new ForwardFailure(err.message, target.origin, retryable, { cause: err }, mayHaveActed));
    };

    upstream.on('error', err => fail(err));
    upstream.on('timeout', () => {
      const err = new Error(`the coordinator sent nothing for ${limits.idleTimeoutMs} ms`);
      if (!answered) {
        fail(err, { silentCoordinator: connected });
        return;
      }
      // Stalled in the middle of its answer: cut it, so the client does not wait forever either.
      upstream.destroy(err);
    });

    const sendBody = () => {
      requestSent = true;
      exchange.bodyConsumed = true;
      req.pipe(upstream);
    };
    const expectsContinue = exchange.hasBody && /100-continue/i.test(String(req.headers.expect ?? ''));
    const onConnected = () => {
      connected = true;
      if (exchange.hasBody && !expectsContinue && !settled) sendBody();
    };
    upstream.on('socket', (socket: Socket) => {
      // A kept-alive socket is connected already; a new one (TLS handshake included) gets connectTimeoutMs.
      if (!socket.connecting) {
        onConnected();
        return;
      }
      const timer = setTimeout(
        () => fail(new Error(`no connection to the coordinator within ${limits.connectTimeoutMs} ms`)),
        limits.connectTimeoutMs,
      );
      socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        onConnected();
      });
      socket.once('close', () => clearTimeout(timer));
    });

    upstream.on('response', (answer: IncomingMessage) => {
      answered = true;
      settled = true;
      resolve();
      relayAnswer(answer, res, err => {
        // An upload refused before `100 Continue` never ends its upstream request: free the socket.
        if (err || !requestSent) upstream.destroy();
      });
    });

    if (!exchange.hasBody) {
      requestSent = true;
      upstream.end();
    } else if (expectsContinue) {
      upstream.once('continue', () => {
        res.writeContinue();
        sendBody();
      });
      upstream.flushHeaders();
    }
  });
}

function relayAnswer(answer: IncomingMessage, res: ServerResponse, ended: (err: Error | null) => void): void {
  res.writeHead(answer.statusCode ?? 502, answer.statusMessage, downstreamResponseHeaders(answer));
  pipeline(answer, res, err => ended(err ?? null));
}
