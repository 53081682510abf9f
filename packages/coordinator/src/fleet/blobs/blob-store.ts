import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { renameDurable, type HashedUpload } from '@modfleet/common';

export interface BlobStore {
  readonly tempDir: string;
  /** Moves a hashed upload into the store under its sha256; identical content is kept once. */
  put(upload: HashedUpload): Promise<void>;
  /** `range`: inclusive byte offsets, as HTTP Range gives them. */
  open(sha256: string, range?: { start: number; end: number }): Promise<{ stream: Readable; size: number } | undefined>;
  /** The blob's size, without opening it. */
  size(sha256: string): Promise<number | undefined>;
  remove(sha256: string): Promise<void>;
}

/** Uploaded artifacts, content-addressed on the coordinator's disk and streamed to agents. */
export async function openDiskBlobStore(dataDir: string): Promise<BlobStore> {
  const blobsDir = join(dataDir, 'blobs');
  const tempDir = join(dataDir, 'tmp');
  await mkdir(blobsDir, { recursive: true });
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir, { recursive: true });
  const file = (sha256: string) => join(blobsDir, `${sha256}.zip`);

  return {
    tempDir,
    async put(upload) {
      // Same name means same bytes, so replacing an existing blob is harmless and atomic. The
      // upload was fsynced as it arrived; the rename is made durable before the push is answered.
      await renameDurable(upload.path, file(upload.sha256));
    },
    async open(sha256, range) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
      try {
        const { size } = await stat(file(sha256));
        // Large reads: artifacts are big and read once, start to end.
        return { stream: createReadStream(file(sha256), { highWaterMark: 1024 * 1024, ...range }), size };
      } catch {
        return undefined;
      }
    },
    async size(sha256) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
      return stat(file(sha256)).then(
        s => s.size,
        () => undefined,
      );
    },
    async remove(sha256) {
      await rm(file(sha256), { force: true });
      await rm(join(blobsDir, `${sha256}.pieces.json`), { force: true });
    },
  };
}
