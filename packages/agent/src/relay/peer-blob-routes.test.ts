import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  createMetrics,
  errorMiddleware,
  pathTo,
  routes,
  sha256Hex,
  SIGNATURE_HEADER,
  signRequest,
} from '@modfleet/common';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { peerBlobRoutes } from './peer-blob-routes.js';
import { TransferRegistry } from './transfer-registry.js';

const SECRET = 'peer-routes-test-secret-0123456789';
const BYTES = Buffer.from('piece one, then piece two');
const SHA = sha256Hex(BYTES);
const OTHER = 'a'.repeat(64);

describe('peer blob route: a relay busy with another blob', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    server = dir = undefined;
  });

  async function serve(transfers: TransferRegistry): Promise<string> {
    const app = express();
    app.use(
      peerBlobRoutes({
        clusterSecret: SECRET,
        transfers,
        blobs: {
          find: () => Promise.resolve(undefined),
          remember: () => Promise.resolve(),
          distrust: () => Promise.resolve(),
        },
        logger: createLogger({ name: 'test', level: 'silent' }),
        metrics: createMetrics('agent'),
      }),
    );
    app.use(errorMiddleware());
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function get(base: string, sha256: string) {
    const path = pathTo(routes.peerBlob, { sha256 });
    return fetch(`${base}${path}`, { headers: { [SIGNATURE_HEADER]: signRequest(SECRET, 'GET', path) } });
  }

  it('holds the request until its own transfer of that blob starts, then serves it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peer-routes-'));
    const transfers = new TransferRegistry();
    const current = transfers.start({ sha256: OTHER, path: join(dir, 'other'), size: 1, pieceSize: 1, hashes: ['x'] });
    const base = await serve(transfers);

    const asked = get(base, SHA);
    // The current transfer ends; only then does this node's job for the asked blob start.
    setTimeout(() => {
      current.complete();
      current.release();
      const path = join(dir!, 'asked');
      void writeFile(path, BYTES).then(() => {
        const handle = transfers.start({ sha256: SHA, path, size: BYTES.length, pieceSize: 16, hashes: ['p0', 'p1'] });
        handle.advance(2);
        handle.complete();
      });
    }, 300);

    const res = await asked;
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(BYTES);
  });

  it('serves the pieces it just verified from memory, without reading them back from the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peer-routes-'));
    const path = join(dir, 'receiving');
    // What the file holds does not matter while the ring has the pieces: zeros here.
    await writeFile(path, Buffer.alloc(BYTES.length));
    const transfers = new TransferRegistry();
    const handle = transfers.start({ sha256: SHA, path, size: BYTES.length, pieceSize: 16, hashes: ['p0', 'p1'] });
    for (const [index, range] of [[0, 16] as const, [16, BYTES.length] as const].entries()) {
      const piece = handle.pieceBuffer(range[1] - range[0]);
      BYTES.copy(piece, 0, range[0], range[1]);
      handle.advance(index + 1, piece);
    }
    const base = await serve(transfers);

    const res = await get(base, SHA);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(BYTES);
  });

  it('answers 404 at once when too many requests already wait', async () => {
    const transfers = new TransferRegistry(1);
    transfers.start({ sha256: OTHER, path: '/nonexistent', size: 1, pieceSize: 1, hashes: ['x'] });
    const base = await serve(transfers);

    const first = get(base, SHA);
    const started = Date.now();
    const second = await get(base, 'c'.repeat(64));
    expect(second.status).toBe(404);
    expect(await second.json()).toMatchObject({ error_code: 'blob_not_held' });
    expect(Date.now() - started).toBeLessThan(1_000);
    server?.closeAllConnections();
    await first.catch(() => undefined);
  });
});
