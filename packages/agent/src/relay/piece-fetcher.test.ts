import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, sha256Hex } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPieces } from './piece-fetcher.js';
import { TransferRegistry } from './transfer-registry.js';

const PIECE = 1024;
const BYTES = Buffer.alloc(4 * PIECE, 5).fill(9, 2 * PIECE);
const HASHES = [0, 1, 2, 3].map(i => sha256Hex(BYTES.subarray(i * PIECE, (i + 1) * PIECE)));

describe('fetchPieces: where and when the bytes arrived', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    server = dir = undefined;
  });

  /** /missing answers 404; /blob sends its half, waits `gapMs`, then the rest. */
  async function serve(gapMs: number): Promise<string> {
    server = createServer((req, res) => {
      if (req.url !== '/blob') return void res.writeHead(404).end();
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(206, { 'content-range': `bytes ${start}-${BYTES.length - 1}/${BYTES.length}` });
      res.write(BYTES.subarray(start, 2 * PIECE));
      setTimeout(() => res.end(BYTES.subarray(2 * PIECE)), gapMs);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('reports, per source used, its bytes and when its first and last byte arrived', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    const base = await serve(120);
    const before = Date.now();

    const fetched = await fetchPieces(
      {
        sha256: sha256Hex(BYTES),
        size: BYTES.length,
        pieceSize: PIECE,
        hashes: HASHES,
        sources: [
          { id: 'node:2', url: `${base}/missing` },
          { id: 'origin', url: `${base}/blob` },
        ],
        tempDir: dir,
      },
      {
        clusterSecret: 'fetcher-test-secret-0123456789',
        resolveUrl: url => url,
        transfers: new TransferRegistry(),
        logger: createLogger({ name: 'test', level: 'silent' }),
      },
    );
    fetched.release();

    expect(await readFile(fetched.upload.path)).toEqual(BYTES);
    expect(fetched.sources).toHaveLength(1);
    const [use] = fetched.sources;
    expect(use).toMatchObject({ source: 'origin', bytes: BYTES.length });
    const first = Date.parse(use!.first_byte_at!);
    const last = Date.parse(use!.last_byte_at!);
    expect(first).toBeGreaterThanOrEqual(before - 1);
    // The second half came 120 ms after the first: the gap shows between first and last byte.
    expect(last - first).toBeGreaterThanOrEqual(100);
    expect(last).toBeLessThanOrEqual(Date.now());
  });
});
