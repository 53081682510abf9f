import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** A file written to a temp folder and hashed on the way in. */
export interface HashedUpload {
  path: string;
  size: number;
  sha256: string;
}

export const TEMP_UPLOAD_PREFIX = 'upload-';

/** Chunks are gathered up to this size and written with one writev: far fewer trips to the thread pool than a write per 64 KiB chunk. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Streams `source` into a fresh file under `tempDir`, hashing as it goes, so a 1 GiB artifact is
 * never held in memory (at most one batch is), and fsynced before it resolves. Reading waits for each batch's write, so a slow
 * disk slows the sender instead of filling memory. On any error the partial file is removed
 * before the error is rethrown.
 */
export async function writeHashedTempFile(
  source: Readable,
  tempDir: string,
  onBytes?: (total: number) => void,
): Promise<HashedUpload> {
  const path = join(tempDir, `${TEMP_UPLOAD_PREFIX}${randomUUID()}`);
  const hash = createHash('sha256');
  const file = await open(path, 'wx');
  let size = 0;
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for await (const chunk of source) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      size += buffer.length;
      batch.push(buffer);
      batchBytes += buffer.length;
      if (batchBytes >= WRITE_BATCH_BYTES) {
        await writeAll(file, batch);
        batch = [];
        batchBytes = 0;
        onBytes?.(size);
      }
    }
    if (batchBytes > 0) await writeAll(file, batch);
    // On disk before anyone is told it arrived: an upload answered 200 must survive a power cut.
    await file.sync();
    onBytes?.(size);
    await file.close();
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  return { path, size, sha256: hash.digest('hex') };
}

/** writev may write less than asked; carry on from where it stopped. */
async function writeAll(file: Awaited<ReturnType<typeof open>>, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await file.writev(pending);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    pending = rest;
  }
}
