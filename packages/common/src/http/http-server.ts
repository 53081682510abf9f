import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  serverTimeouts,
  cutSlowBodies,
  DEFAULT_CONNECTION_LIMITS,
  type ConnectionLimits,
} from './connection-limits.js';

/** PEM files (MODFLEET_TLS_CERT/KEY), or the PEM text itself (a generated certificate). */
export type ServerTls = { certFile: string; keyFile: string } | { certPem: string; keyPem: string };

export interface ListenOptions {
  host: string;
  port: number;
  /** Serve HTTPS on `port`; without it `port` serves plain HTTP. */
  tls?: ServerTls | undefined;
  /** A second, plain HTTP port beside the HTTPS one (RS's 8080); undefined: none. 0 picks a free one. */
  httpPort?: number | undefined;
  /** Header timeout and minimum body rate (tests shorten them); default: DEFAULT_CONNECTION_LIMITS. */
  limits?: ConnectionLimits;
}

const pemOf = (tls: ServerTls) =>
  'certFile' in tls
    ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }
    : { cert: tls.certPem, key: tls.keyPem };

export interface RunningServer {
  server: Server;
  /** Base URL the server answers on, e.g. `https://127.0.0.1:9444`. */
  url: string;
  /** The plain HTTP port's base URL, when there is one beside HTTPS. */
  httpUrl: string | undefined;
  /** Serves another certificate from the next TLS handshake on (an agent's, once the CA signed it). */
  replaceCertificate(certPem: string, keyPem: string): void;
  /** Stops accepting, waits up to `deadlineMs` for in-flight requests, then cuts what is left. */
  close(deadlineMs: number): Promise<void>;
}

export async function listen(app: RequestListener, options: ListenOptions): Promise<RunningServer> {
  let closing = false;
  const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
  // While closing, a finished response must not leave its keep-alive connection holding the process open.
  const handle: RequestListener = (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    cutSlowBodies(req, limits);
    res.once('finish', () => {
      if (closing) setImmediate(() => servers.forEach(target => target.closeIdleConnections()));
    });
    app(req, res);
  };
  const timeouts = serverTimeouts(limits);
  const tlsServer = options.tls ? createHttpsServer({ ...pemOf(options.tls), ...timeouts }, handle) : undefined;
  const server: Server = tlsServer ?? createHttpServer(timeouts, handle);
  const plain = tlsServer && options.httpPort !== undefined ? createHttpServer(timeouts, handle) : undefined;
  const servers = plain ? [server, plain] : [server];
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const listenOn = async (target: Server, port: number) => {
    // Let routes decide when to send `100 Continue` (after auth), instead of Node sending it at once.
    target.on('checkContinue', handle);
    await new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, options.host, () => {
        target.off('error', reject);
        resolve();
      });
    });
    return (target.address() as AddressInfo).port;
  };
  try {
    const port = await listenOn(server, options.port);
    const httpPort = plain ? await listenOn(plain, options.httpPort!) : undefined;
    return {
      server,
      url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
      httpUrl: httpPort === undefined ? undefined : `http://${host}:${httpPort}`,
      replaceCertificate(cert, key) {
        tlsServer?.setSecureContext({ cert, key });
      },
      async close(deadlineMs) {
        closing = true;
        await Promise.all(servers.map(target => closeServer(target, deadlineMs)));
      },
    };
  } catch (err) {
    for (const target of servers) if (target.listening) target.close();
    throw err;
  }
}

function closeServer(server: Server, deadlineMs: number): Promise<void> {
  return new Promise(resolve => {
    const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Runs `shutdown` once on the first SIGTERM/SIGINT; a second signal exits at once. */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    shutdown(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
