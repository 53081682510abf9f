import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { bodySha256, SIGNATURE_HEADER, verifyRequestSignature } from '../fleet/cluster-signature.js';
import { createClusterCa, generateKeyPem, issueServerCertificate } from '../tls/certificates.js';
import { ClusterHttpError, createClusterHttpClient, type ClusterHttpClient } from './cluster-client.js';

const SECRET = 'cluster-client-test-secret-0123456789';
const BLOB = Buffer.alloc(3 * 1024 * 1024 + 17, 1).fill(2, 1024 * 1024);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(cleanup => cleanup()));
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function started(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise(resolve => server.close(resolve));
  });
  const scheme = 'cert' in (server as { cert?: unknown }) ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(options: Parameters<typeof createClusterHttpClient>[0] = {}): ClusterHttpClient {
  const made = createClusterHttpClient(options);
  cleanups.push(() => made.close());
  return made;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-client-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Answers only requests signed with SECRET for their path, and echoes what it checked. */
const signedOnly: Handler = (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const signature = verifyRequestSignature(SECRET, req.method ?? '', path, req.headers[SIGNATURE_HEADER] as string);
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!signature) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'unauthorized', description: 'Bad signature' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        bodyBytes: body.length,
        bodyMatchesSignature: signature.bodySha256 === bodySha256(body),
        port: req.socket.remotePort,
      }),
    );
  });
};

interface Echo {
  bodyBytes: number;
  bodyMatchesSignature: boolean;
  port: number;
}

describe('the cluster HTTP client', () => {
  it('signs each request for its path and body, and reuses a kept-alive connection', async () => {
    const url = await started(createServer(signedOnly));
    const http = client();

    const first = await http.json<Echo>(`${url}/v1/nodes/register`, {
      what: 'registration',
      method: 'POST',
      clusterSecret: SECRET,
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      idleTimeoutMs: 5_000,
    });
    const check = { what: 'check', clusterSecret: SECRET, idleTimeoutMs: 5_000 };
    const second = await http.json<Echo>(`${url}/internal/anything`, check);
    const third = await http.json<Echo>(`${url}/internal/anything`, check);

    expect(first).toMatchObject({ bodyBytes: 7, bodyMatchesSignature: true });
    // A request sent in the very tick the last one ended may open a second connection; never a third.
    expect(new Set([first.port, second.port, third.port]).size).toBeLessThan(3);
    const unsigned = http.json(`${url}/internal/anything`, { what: 'unsigned check', idleTimeoutMs: 5_000 });
    await expect(unsigned).rejects.toThrow('unsigned check answered 401: Bad signature');
    await expect(unsigned).rejects.toBeInstanceOf(ClusterHttpError);
  });

  it('streams an upload body as it is read', async () => {
    const url = await started(createServer(signedOnly));
    const echo = await client().json<Echo>(`${url}/internal/blobs/x`, {
      what: 'blob copy',
      method: 'PUT',
      clusterSecret: SECRET,
      headers: { 'content-length': String(BLOB.length) },
      body: Readable.from([BLOB.subarray(0, 1000), BLOB.subarray(1000)]),
      idleTimeoutMs: 5_000,
    });
    expect(echo.bodyBytes).toBe(BLOB.length);
  });

  it('downloads into a hashed temp file, reporting progress; a refusal leaves no file', async () => {
    const url = await started(
      createServer((req, res) => {
        if (req.url === '/missing') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error_code: 'not_found', description: 'No such blob' }));
          return;
        }
        res.end(BLOB);
      }),
    );
    const dir = await tempDir();
    const seen: number[] = [];

    const upload = await client().downloadToFile(`${url}/blob`, dir, {
      what: 'artifact download',
      idleTimeoutMs: 5_000,
      onBytes: total => seen.push(total),
    });

    expect(upload.size).toBe(BLOB.length);
    expect(upload.sha256).toBe(createHash('sha256').update(BLOB).digest('hex'));
    expect((await readFile(upload.path)).equals(BLOB)).toBe(true);
    expect(seen.at(-1)).toBe(BLOB.length);
    await rm(upload.path);

    const refused = client().downloadToFile(`${url}/missing`, dir, { what: 'artifact download', idleTimeoutMs: 5_000 });
    await expect(refused).rejects.toMatchObject({ status: 404, description: 'No such blob' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails a transfer that stops sending for idleTimeoutMs, naming it', async () => {
    const url = await started(
      createServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(BLOB.length) });
        res.write(BLOB.subarray(0, 1024));
      }),
    );
    const chunks: number[] = [];
    const stalled = client().downloadTo(url, chunk => void chunks.push(chunk.length), {
      what: 'piece 0 from node:2',
      idleTimeoutMs: 200,
    });
    await expect(stalled).rejects.toThrow('piece 0 from node:2 stalled: no bytes for 200 ms');
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(1024);
  });

  it('trusts an https member whose certificate the cluster CA signed, and no other', async () => {
    const ca = await createClusterCa();
    const key = await generateKeyPem();
    const cert = await issueServerCertificate(ca, key, ['127.0.0.1']);
    const url = await started(createHttpsServer({ key, cert }, signedOnly));
    const call = { what: 'check', clusterSecret: SECRET, idleTimeoutMs: 5_000 };

    await expect(client({ caPem: ca.certPem }).json<Echo>(`${url}/x`, call)).resolves.toMatchObject({ bodyBytes: 0 });
    await expect(client().json(`${url}/x`, call)).rejects.toThrow(/certificate/);
    const other = await createClusterCa('another cluster');
    await expect(client({ caPem: other.certPem }).json(`${url}/x`, call)).rejects.toThrow(/certificate/);
  });
});
