import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

  /** Serves BYTES from `bytes=N-` with the byte at `corruptAt` flipped, in two writes 30 ms apart split at `splitAt`. */
  async function serveCorrupted(corruptAt: number, splitAt: number): Promise<string> {
    const bad = Buffer.from(BYTES);
    bad[corruptAt] = bad[corruptAt]! ^ 0xff;
    server = createServer((req, res) => {
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const body = (req.url === '/corrupt' ? bad : BYTES).subarray(start);
      res.writeHead(206, { 'content-range': `bytes ${start}-${BYTES.length - 1}/${BYTES.length}` });
      res.write(body.subarray(0, Math.max(0, splitAt - start)));
      setTimeout(() => res.end(body.subarray(Math.max(0, splitAt - start))), 30);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A registry that records the bytes of every piece as it is counted (advanced). */
  function recordingRegistry(): { transfers: TransferRegistry; counted: Buffer[] } {
    const transfers = new TransferRegistry();
    const counted: Buffer[] = [];
    const start = transfers.start.bind(transfers);
    transfers.start = init => {
      const handle = start(init);
      return {
        ...handle,
        advance: (count, piece) => {
          if (piece) counted.push(Buffer.from(piece));
          handle.advance(count, piece);
        },
      };
    };
    return { transfers, counted };
  }

  const request = (base: string, paths: string[], tempDir: string) => ({
    sha256: sha256Hex(BYTES),
    size: BYTES.length,
    pieceSize: PIECE,
    hashes: HASHES,
    sources: paths.map((path, index) => ({ id: `node:${index + 2}`, url: `${base}${path}` })),
    tempDir,
  });
  const deps = (transfers: TransferRegistry) => ({
    clusterSecret: 'fetcher-test-secret-0123456789',
    resolveUrl: (url: string) => url,
    transfers,
    logger: createLogger({ name: 'test', level: 'silent' }),
  });

  it('refuses a piece whose middle chunk was corrupted and fetches that piece again from the next source', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    // Piece 2 arrives in two chunks; the second, flipped byte and all, lands in its middle.
    const base = await serveCorrupted(2 * PIECE + PIECE / 2 + 10, 2 * PIECE + PIECE / 2);
    const { transfers, counted } = recordingRegistry();

    const fetched = await fetchPieces(request(base, ['/corrupt', '/blob'], dir), deps(transfers));
    fetched.release();

    expect(await readFile(fetched.upload.path)).toEqual(BYTES);
    expect(fetched.sources).toMatchObject([
      { source: 'node:2', bytes: 2 * PIECE },
      { source: 'node:3', bytes: 2 * PIECE },
    ]);
    // Every piece counted (and so served onward) was one that matched its sha256, each once.
    expect(counted.map(bytes => sha256Hex(bytes))).toEqual(HASHES);
  });

  it('fails with a sha256 mismatch, leaving no temp file, when no source has the right bytes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    const base = await serveCorrupted(3 * PIECE + 5, 3 * PIECE);
    const { transfers, counted } = recordingRegistry();

    await expect(fetchPieces(request(base, ['/corrupt'], dir), deps(transfers))).rejects.toThrow(
      /sha256 mismatch: piece 3/,
    );
    expect(counted).toHaveLength(3);
    expect(await readdir(dir)).toEqual([]);
  });

  it('checks the whole sha256 when asked (a fetched piece list): matching pieces of other bytes are refused', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    const base = await serve(0);
    const request = {
      sha256: sha256Hex(Buffer.from('the bytes the job names')),
      size: BYTES.length,
      pieceSize: PIECE,
      hashes: HASHES,
      sources: [{ id: 'origin', url: `${base}/blob` }],
      tempDir: dir,
    };
    const deps = {
      clusterSecret: 'fetcher-test-secret-0123456789',
      resolveUrl: (url: string) => url,
      transfers: new TransferRegistry(),
      logger: createLogger({ name: 'test', level: 'silent' }),
    };

    await expect(fetchPieces({ ...request, verifyWhole: true }, deps)).rejects.toThrow(/sha256 mismatch/);
    expect(await readdir(dir)).toEqual([]);
    // Hashes carried in the job are bound to its sha256 already: no second pass.
    (await fetchPieces(request, deps)).release();
  });
});
