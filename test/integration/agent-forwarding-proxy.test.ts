import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import {
  Agent as HttpAgent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { COORDINATOR_UNAVAILABLE, createCoordinatorPool, forwardRoutes, type ForwardOptions } from '@modfleet/agent';
import {
  createLogger,
  errorMiddleware,
  listen,
  notFoundHandler,
  pathTo,
  requestLogger,
  routes,
  type RunningServer,
} from '@modfleet/common';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expectRsError } from '../helpers/rs-error.js';

/** What the stand-in coordinator saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  remotePort?: number | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void;

const servers: { close(): unknown }[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map(server => server.close()));
});

/** A stand-in coordinator: plain node:http, so the test sees exactly what the agent sent. */
async function standIn(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => handler(req, res, seen));
  server.on('checkContinue', (req, res) => handler(req, res, seen));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () => {
      const closed = new Promise(resolve => server.close(resolve));
      server.closeAllConnections();
      return closed;
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A coordinator at the TCP level: `onConnection` decides what each connection gets; it counts them. */
async function rawCoordinator(
  onConnection: (socket: Socket) => void,
): Promise<{ url: string; connections: () => number }> {
  const sockets: Socket[] = [];
  const server: TcpServer = createTcpServer(socket => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () => {
      sockets.forEach(socket => socket.destroy());
      return new Promise(resolve => server.close(resolve));
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => sockets.length };
}

/** An address where nothing listens: connections are refused. */
async function deadAddress(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Resets each connection once the request head arrived, before any answer (a coordinator dying under it). */
const resetAfterHead = (socket: Socket) => {
  let head = '';
  socket.on('data', (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (head.includes('\r\n\r\n')) socket.resetAndDestroy();
  });
};

/** Counts the body, then answers 200 with what it saw. */
const recordAndAnswer: Handler = (req, res, seen) => {
  if (/100-continue/i.test(String(req.headers.expect ?? ''))) res.writeContinue();
  let bodyBytes = 0;
  req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
  req.on('end', () => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bodyBytes,
      remotePort: req.socket.remotePort,
    });
    res.writeHead(201, { 'content-type': 'application/json', 'keep-alive': 'timeout=17', 'x-coordinator': 'yes' });
    res.end(JSON.stringify({ bodyBytes }));
  });
};

/** The agent's forwarding in front of `coordinatorUrl`, as the agent app mounts it. */
async function forwardingNode(options: ForwardOptions): Promise<string> {
  const app = express();
  app.use(requestLogger(createLogger({ name: 'agent', level: 'silent' })));
  app.use(forwardRoutes(options));
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  const running: RunningServer = await listen(app, { host: '127.0.0.1', port: 0 });
  servers.push({ close: () => running.close(1_000) });
  return running.url;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the client was told `100 Continue`. */
  continued: boolean;
}

/** A raw node:http request, so hop-by-hop headers and `Expect` go out as written. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, res => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, continued }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.headers?.expect) {
      req.on('continue', () => {
        continued = true;
        req.end(options.body);
      });
      req.flushHeaders();
    } else {
      req.end(options.body);
    }
  });
}

describe('what the forwarding passes on', () => {
  it('keeps method, path, query and Authorization; drops hop-by-hop headers; says who asked', async () => {
    const coordinator = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([coordinator.url]) });
    const body = Buffer.from('{"name":"x"}');
    const answer = await send(`${node}${routes.cluster}?pretty=1`, {
      method: 'PUT',
      headers: {
        authorization: 'Basic YWRtaW46cHc=',
        'content-type': 'application/json',
        'content-length': String(body.length),
        connection: 'keep-alive, x-hop',
        'x-hop': 'for this connection only',
        'proxy-authorization': 'Basic c2VjcmV0',
        'x-request-id': 'req-42',
      },
      body,
    });

    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({ bodyBytes: body.length });
    expect(answer.headers['x-coordinator']).toBe('yes');
    expect(answer.headers['keep-alive']).not.toBe('timeout=17');
    expect(answer.headers['x-request-id']).toBe('req-42');

    const [seen] = coordinator.seen;
    expect(seen).toMatchObject({ method: 'PUT', url: `${routes.cluster}?pretty=1`, bodyBytes: body.length });
    expect(seen!.headers).toMatchObject({
      authorization: 'Basic YWRtaW46cHc=',
      'content-type': 'application/json',
      'x-request-id': 'req-42',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      host: new URL(coordinator.url).host,
      'x-forwarded-host': new URL(node).host,
    });
    expect(seen!.headers['x-hop']).toBeUndefined();
    expect(seen!.headers['proxy-authorization']).toBeUndefined();
  });

  it('forwards nothing but the cluster routes', async () => {
    const coordinator = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([coordinator.url]) });
    for (const path of [routes.localArtifacts, routes.nodeRegister, routes.queueDashboard, '/v1/local/node']) {
      expect((await send(`${node}${path}`, {})).status).toBe(404);
    }
    expect(coordinator.seen).toEqual([]);
  });

  it('sends 100 Continue only after the coordinator did, and a refusal before the body moves', async () => {
    const refusing: Handler = (req, res, seen) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: 0 });
      if (req.headers.authorization) {
        recordAndAnswer(req, res, []);
        return;
      }
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="modfleet"' });
      res.end(JSON.stringify({ error_code: 'unauthorized', description: 'Authentication required' }));
    };
    const coordinator = await standIn(refusing);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([coordinator.url]) });
    const body = Buffer.alloc(4 * 1024 * 1024, 7);
    const headers = { expect: '100-continue', 'content-length': String(body.length) };

    const refused = await send(`${node}${routes.fleetArtifacts}`, { method: 'POST', headers, body });
    expect(refused.continued).toBe(false);
    expectRsError({ ...refused, body: JSON.parse(refused.body) as unknown }, 401, 'unauthorized');
    expect(refused.headers['www-authenticate']).toBe('Basic realm="modfleet"');

    const accepted = await send(`${node}${routes.fleetArtifacts}`, {
      method: 'POST',
      headers: { ...headers, authorization: 'Basic YWRtaW46cHc=' },
      body,
    });
    expect(accepted.continued).toBe(true);
    expect(accepted.status).toBe(201);
    expect(JSON.parse(accepted.body)).toEqual({ bodyBytes: body.length });
  });

  it('sends through the connection pool it is given (an https.Agent trusting the cluster CA, say)', async () => {
    const coordinator = await standIn(recordAndAnswer);
    const pool = new HttpAgent({ keepAlive: true });
    const seenUrls: string[] = [];
    const node = await forwardingNode({
      coordinators: createCoordinatorPool([coordinator.url]),
      transport: url => {
        seenUrls.push(url.origin);
        return pool;
      },
    });
    await send(`${node}${routes.nodes}`, {});
    await send(`${node}${routes.cluster}`, {});
    expect(seenUrls).toEqual([coordinator.url, coordinator.url]);
    expect(coordinator.seen).toHaveLength(2);
    // Both went over one kept-alive connection of that pool.
    expect(new Set(coordinator.seen.map(seen => seen.remotePort)).size).toBe(1);
    pool.destroy();
  });

  it(`answers 503 ${COORDINATOR_UNAVAILABLE} when the coordinator accepts connections but never answers, and asks no other`, async () => {
    const silent = await rawCoordinator(() => undefined);
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({
      coordinators: createCoordinatorPool([silent.url, second.url]),
      idleTimeoutMs: 300,
    });
    const answer = await send(`${node}${routes.modules}`, {});
    expectRsError({ ...answer, body: JSON.parse(answer.body) as unknown }, 503, COORDINATOR_UNAVAILABLE);
    // It may be acting on the request: another coordinator would do it twice.
    expect(second.seen).toEqual([]);
  });

  it('cuts an answer the coordinator stops sending halfway, instead of leaving the client waiting', async () => {
    const stalling: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{"module_name":');
    };
    const coordinator = await standIn(stalling);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([coordinator.url]), idleTimeoutMs: 300 });
    await expect(send(`${node}${routes.modules}`, {})).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });

  it('passes on an answer the coordinator sends before the upload ended', async () => {
    // Refuses after 1 MiB, as the coordinator's size limit does; Node then discards the rest of the body.
    const limited: Handler = (req, res) => {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 1024 * 1024 && !res.headersSent) {
          res.writeHead(413, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error_code: 'artifact_too_large', description: 'Too large' }));
        }
      });
    };
    const coordinator = await standIn(limited);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([coordinator.url]) });
    const answer = await send(`${node}${routes.fleetArtifacts}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(16 * 1024 * 1024),
    });
    expectRsError({ ...answer, body: JSON.parse(answer.body) as unknown }, 413, 'artifact_too_large');
  });
});

describe('failing over between coordinators', () => {
  const upload = Buffer.alloc(4 * 1024 * 1024, 3);

  it('passes a bodyless request to the next coordinator when one refuses connections', async () => {
    const dead = await deadAddress();
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([dead, second.url]) });

    const answer = await send(`${node}${routes.cluster}`, {});
    expect(answer.status).toBe(201);
    expect(second.seen.map(seen => seen.url)).toEqual([routes.cluster]);
  });

  it('remembers the coordinator that answered: the next request does not try the dead one again', async () => {
    const resetting = await rawCoordinator(socket => socket.resetAndDestroy());
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([resetting.url, second.url]) });

    expect((await send(`${node}${routes.nodes}`, {})).status).toBe(201);
    expect((await send(`${node}${routes.actions}`, {})).status).toBe(201);
    expect(resetting.connections()).toBe(1);
    expect(second.seen).toHaveLength(2);
  });

  it('passes a GET on when the coordinator resets it before answering', async () => {
    const dying = await rawCoordinator(resetAfterHead);
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([dying.url, second.url]) });

    const answer = await send(`${node}${routes.actions}`, {});
    expect(answer.status).toBe(201);
    expect(dying.connections()).toBe(1);
    expect(second.seen).toHaveLength(1);
  });

  it.each([
    ['DELETE', pathTo(routes.fleetArtifact, { moduleName: 'M', version: 1 })],
    ['POST', routes.fleetSync],
  ])(
    `never replays a bodyless %s %s the first coordinator received and died on: 503 ${COORDINATOR_UNAVAILABLE} saying it may have acted`,
    async (method, path) => {
      // It got the whole request, may have acted on it, and went away before its answer.
      const dying = await rawCoordinator(resetAfterHead);
      const second = await standIn(recordAndAnswer);
      const node = await forwardingNode({ coordinators: createCoordinatorPool([dying.url, second.url]) });

      const answer = await send(`${node}${path}`, { method });

      const body = expectRsError({ ...answer, body: JSON.parse(answer.body) as unknown }, 503, COORDINATOR_UNAVAILABLE);
      expect(body.description).toMatch(/may have acted on this request/);
      expect(dying.connections()).toBe(1);
      expect(second.seen).toEqual([]);
    },
  );

  it('passes a bodyless DELETE on when the first coordinator refuses the connection (it never got it)', async () => {
    const dead = await deadAddress();
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([dead, second.url]) });

    const answer = await send(`${node}${pathTo(routes.fleetArtifact, { moduleName: 'M', version: 1 })}`, {
      method: 'DELETE',
    });

    expect(answer.status).toBe(201);
    expect(second.seen.map(seen => seen.method)).toEqual(['DELETE']);
  });

  it('passes a streamed upload on, whole, when the first coordinator refuses the connection before any byte of it moved', async () => {
    const node = await forwardingNode({
      coordinators: createCoordinatorPool([await deadAddress(), (await standIn(recordAndAnswer)).url]),
    });
    const answer = await send(`${node}${routes.fleetArtifacts}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(upload.length) },
      body: upload,
    });
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({ bodyBytes: upload.length });
  });

  it('passes an Expect: 100-continue upload on when the first coordinator resets it before 100 Continue', async () => {
    const dying = await rawCoordinator(resetAfterHead);
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({ coordinators: createCoordinatorPool([dying.url, second.url]) });
    const answer = await send(`${node}${routes.fleetArtifacts}`, {
      method: 'POST',
      headers: { expect: '100-continue', 'content-length': String(upload.length) },
      body: upload,
    });
    expect(answer.continued).toBe(true);
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({ bodyBytes: upload.length });
    expect(dying.connections()).toBe(1);
  });

  it(`never replays a body that was partly sent: 503 ${COORDINATOR_UNAVAILABLE}, and no other coordinator sees it`, async () => {
    let received = 0;
    const cutMidBody = await standIn(req => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 256 * 1024) req.socket.resetAndDestroy();
      });
    });
    // Counts requests as they arrive: a replayed body would never end, so `seen` would stay empty.
    const arrivals: string[] = [];
    const second = await standIn((req, res, seen) => {
      arrivals.push(req.url ?? '');
      recordAndAnswer(req, res, seen);
    });
    const node = await forwardingNode({ coordinators: createCoordinatorPool([cutMidBody.url, second.url]) });
    const answer = await send(`${node}${routes.fleetArtifacts}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(upload.length) },
      body: upload,
    });
    expectRsError({ ...answer, body: JSON.parse(answer.body) as unknown }, 503, COORDINATOR_UNAVAILABLE);
    expect(received).toBeGreaterThan(256 * 1024);
    expect(arrivals).toEqual([]);
  });

  it(`answers 503 ${COORDINATOR_UNAVAILABLE} when no coordinator of the list can be reached`, async () => {
    const node = await forwardingNode({
      coordinators: createCoordinatorPool([await deadAddress(), await deadAddress()]),
    });
    const answer = await send(`${node}${routes.nodes}`, {});
    expectRsError({ ...answer, body: JSON.parse(answer.body) as unknown }, 503, COORDINATOR_UNAVAILABLE);
  });

  it('gives each coordinator connectTimeoutMs to accept, then tries the next', async () => {
    // Accepts TCP but never completes the TLS handshake: the node waits for it as for the connection.
    const mute = await rawCoordinator(() => undefined);
    const second = await standIn(recordAndAnswer);
    const node = await forwardingNode({
      coordinators: createCoordinatorPool([mute.url.replace('http:', 'https:'), second.url]),
      connectTimeoutMs: 300,
    });
    const started = Date.now();
    const answer = await send(`${node}${routes.cluster}`, {});
    expect(answer.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(second.seen).toHaveLength(1);
  });
});
