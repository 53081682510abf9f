import { once } from 'node:events';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes } from '@modfleet/common/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ConnectionError, createApiClient, multipartBody } from './api-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let url: string;
let handler: Handler;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  dir = await mkdtemp(join(tmpdir(), 'modfleet-cli-client-'));
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  handler = (_req, res) => res.end();
});

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('api client', () => {
  it('sends Basic credentials and JSON, and parses JSON answers', async () => {
    let seen: { auth?: string; type?: string; body?: string; method?: string; path?: string } = {};
    handler = (req, res) => {
      void readBody(req).then(body => {
        seen = {
          auth: req.headers.authorization,
          type: req.headers['content-type'],
          body: body.toString(),
          method: req.method,
          path: req.url,
        };
        json(res, 200, { uid: 'abc' });
      });
    };
    const client = createApiClient({ url: `${url}/`, user: 'admin@x.io', password: 'p:w' });
    await expect(client.post(routes.userDefinedModules, { a: 1 })).resolves.toEqual({ uid: 'abc' });
    expect(seen).toEqual({
      auth: `Basic ${Buffer.from('admin@x.io:p:w').toString('base64')}`,
      type: 'application/json',
      body: '{"a":1}',
      method: 'POST',
      path: routes.userDefinedModules,
    });
    await client.close();
  });

  it('sends no Authorization at all without a password', async () => {
    let auth: string | undefined = 'unset';
    handler = (req, res) => {
      auth = req.headers.authorization;
      json(res, 200, []);
    };
    const client = createApiClient({ url, user: 'admin@x.io' });
    await client.get(routes.nodes);
    expect(auth).toBeUndefined();
    await client.close();
  });

  it('turns an RS error body into an ApiError with its error_code', async () => {
    handler = (_req, res) => json(res, 406, { error_code: 'invalid_module', description: 'version: bad' });
    const client = createApiClient({ url });
    const err = await client.get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 406, code: 'invalid_module', message: 'version: bad' });
    await client.close();
  });

  it('names an HTML or empty error by its status', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    const client = createApiClient({ url });
    await expect(client.get('/x')).rejects.toMatchObject({ status: 502, code: 'http_502' });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>hello</html>');
    };
    await expect(client.get('/x')).rejects.toMatchObject({ code: 'unexpected_response' });
    await client.close();
  });

  it('says which URL refused the connection', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    probe.close();
    await once(probe, 'close');
    const client = createApiClient({ url: `http://127.0.0.1:${port}` });
    const err = await client.get(routes.nodes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ reason: 'connection_refused' });
    expect((err as Error).message).toContain(`http://127.0.0.1:${port}`);
    await client.close();
  });

  it('uploads a multipart body with the fields, the file under its name, and an exact Content-Length', async () => {
    const file = join(dir, 'custom-module.zip');
    const bytes = Buffer.from('PK\x03\x04 not really a zip, but bytes all the same');
    await writeFile(file, bytes);
    let received: { length?: string; type?: string; body?: Buffer } = {};
    handler = (req, res) => {
      void readBody(req).then(body => {
        received = { length: req.headers['content-length'], type: req.headers['content-type'], body };
        json(res, 202, { action_uid: 'a-1' });
      });
    };
    const client = createApiClient({ url, user: 'u', password: 'p' });
    await expect(client.upload('/up', { path: file, field: 'module' }, { nodes: '1,3' })).resolves.toEqual({
      action_uid: 'a-1',
    });
    await client.close();

    const boundary = /boundary=(.+)$/.exec(received.type ?? '')?.[1];
    expect(boundary).toBeDefined();
    expect(Number(received.length)).toBe(received.body!.length);
    const text = received.body!.toString('latin1');
    expect(text).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="nodes"\r\n\r\n1,3\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="module"; filename="custom-module.zip"\r\n` +
        `Content-Type: application/zip\r\n\r\n${bytes.toString('latin1')}\r\n--${boundary}--\r\n`,
    );
  });

  it('reports upload progress up to the whole body length, never going back', async () => {
    const file = join(dir, 'big-module.zip');
    await writeFile(file, Buffer.alloc(1024 * 1024, 7));
    handler = (req, res) => void readBody(req).then(() => json(res, 202, { action_uid: 'a-2' }));
    const seen: [number, number][] = [];
    const client = createApiClient({ url });
    await client.upload('/up', { path: file, field: 'module', onProgress: (sent, total) => seen.push([sent, total]) });
    await client.close();
    expect(seen.length).toBeGreaterThan(3);
    const total = seen[0]![1];
    expect(total).toBeGreaterThan(1024 * 1024);
    expect(seen.at(-1)).toEqual([total, total]);
    expect(seen.every(([sent], i) => i === 0 || sent > seen[i - 1]![0])).toBe(true);
  });

  it('gets the answer when the server refuses an upload before reading it', async () => {
    const file = join(dir, 'big-refused.zip');
    await writeFile(file, '');
    await truncate(file, 64 * 1024 * 1024);
    handler = (_req, res) => {
      res.setHeader('connection', 'close');
      json(res, 401, { error_code: 'unauthorized', description: 'Authentication required' });
    };
    const client = createApiClient({ url });
    await expect(client.upload('/up', { path: file, field: 'module' })).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    await client.close();
  });

  it('streams the file from disk: memory stays flat while 256 MiB go up', async () => {
    const size = 256 * 1024 * 1024;
    const file = join(dir, 'big.zip');
    await writeFile(file, '');
    await truncate(file, size); // sparse: costs no disk
    let received = 0;
    handler = (req, res) => {
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('end', () => json(res, 202, { action_uid: 'big' }));
    };
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      // Buffers live outside the JS heap: a file read into memory shows here. RSS is left out
      // because the unit project shares one process across files, whose garbage it also counts.
      peak = Math.max(peak, now.arrayBuffers - before.arrayBuffers);
    }, 10);
    const client = createApiClient({ url });
    try {
      await client.upload('/up', { path: file, field: 'module' });
    } finally {
      clearInterval(sampler);
      await client.close();
    }
    const body = await multipartBody({ path: file, field: 'module' });
    expect(received).toBe(body.length);
    // Reading the file into memory would cost at least `size`; streaming costs a few buffers.
    expect(peak).toBeLessThan(size / 4);
    // 256 MiB through a real socket: seconds, more on a loaded machine than the 5 s default.
  }, 30_000);
});
