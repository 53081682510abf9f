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
    open(sha256, range) {
      const bytes = held.get(sha256);
      const slice = bytes && range ? bytes.subarray(range.start, range.end + 1) : bytes;
      return Promise.resolve(bytes && slice && { stream: Readable.from([slice]), size: bytes.length });
    },
    size(sha256) {
      return Promise.resolve(held.get(sha256)?.length);
    },
    remove(sha256) {
      held.delete(sha256);
      return Promise.resolve();
    },
  };
}
