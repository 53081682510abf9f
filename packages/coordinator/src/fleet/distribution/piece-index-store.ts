import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPieces, pieceSizeFor, type PieceIndex } from '@modfleet/common';
import type { BlobStore } from '../blobs/blob-store.js';

export interface PieceIndexStore {
  /** The piece list of a stored blob, computed (and kept beside it) the first time it is asked for. */
  ensure(sha256: string): Promise<PieceIndex | undefined>;
}

const CACHE_ENTRIES = 64;

/** `<dataDir>/blobs/<sha256>.pieces.json`, content-addressed like the blob it describes; pieces sized by `pieceSizeFor`. */
export function createDiskPieceIndexStore(dataDir: string, blobs: BlobStore): PieceIndexStore {
  const file = (sha256: string) => join(dataDir, 'blobs', `${sha256}.pieces.json`);
  const cache = new Map<string, PieceIndex>();
  const computing = new Map<string, Promise<PieceIndex | undefined>>();

  async function load(sha256: string): Promise<PieceIndex | undefined> {
    try {
      const index = JSON.parse(await readFile(file(sha256), 'utf8')) as PieceIndex;
      // A list cut with an older piece size is computed again.
      if (index.sha256 === sha256 && index.piece_size === pieceSizeFor(index.size)) return index;
    } catch {
      // not computed yet
    }
    const blob = await blobs.open(sha256);
    if (!blob) return undefined;
    const index = await hashPieces(blob.stream, pieceSizeFor(blob.size));
    if (index.sha256 !== sha256) throw new Error(`blob ${sha256} on disk hashes to ${index.sha256}`);
    const temp = `${file(sha256)}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(index));
    await rename(temp, file(sha256)).catch(async (err: unknown) => {
      await rm(temp, { force: true });
      throw err;
    });
    return index;
  }

  return {
    async ensure(sha256) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
      const cached = cache.get(sha256);
      if (cached) return cached;
      let pending = computing.get(sha256);
      if (!pending) {
        pending = load(sha256).finally(() => computing.delete(sha256));
        computing.set(sha256, pending);
      }
      const index = await pending;
      if (index) {
        if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
        cache.set(sha256, index);
      }
      return index;
    },
  };
}
