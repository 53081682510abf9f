import { readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobStore } from './blob-store.js';

/** Blobs in memory, for unit tests: `put` takes the upload's bytes and removes its temp file, as the disk store's move does. */
export function createFakeBlobStore(tempDir: string): BlobStore & { held: Map<string, Buffer> } {
  const held = new Map<string, Buffer>();
  return {
    tempDir,
    held,
    async put(upload) {
      held.set(upload.sha256, await readFile(upload.path));
      await rm(upload.path, { force: true });
    },
    open(sha256) {
      const bytes = held.get(sha256);
      return Promise.resolve(bytes && { stream: Readable.from([bytes]), size: bytes.length });
    },
    remove(sha256) {
      held.delete(sha256);
      return Promise.resolve();
    },
  };
}
