import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string } | undefined;
}

export interface RunningServer {
  server: Server;
  /** Base URL the server answers on, e.g. `http://127.0.0.1:9444`. */
  url: string;
  /** Stops accepting, waits up to `deadlineMs` for in-flight requests, then cuts what is left. */
  close(deadlineMs: number): Promise<void>;
}

export async function listen(app: RequestListener, options: ListenOptions): Promise<RunningServer> {
  let closing = false;
  // While closing, a finished response must not leave its keep-alive connection holding the process open.
  const handle: RequestListener = (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, handle)
    : createHttpServer(handle);
  // Let routes decide when to send `100 Continue` (after auth), instead of Node sending it at once.
  server.on('checkContinue', handle);
  server.headersTimeout = 60_000;
  server.requestTimeout = 0; // large uploads may take long; the per-socket idle timeout still applies
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;

  return {
    server,
    url,
    close(deadlineMs) {
      closing = true;
      return new Promise(resolve => {
        const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
        deadline.unref();
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
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
