import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A file written to a temp folder and hashed on the way in. */
export interface HashedUpload {
  path: string;
  size: number;
  sha256: string;
}

export const TEMP_UPLOAD_PREFIX = 'upload-';

/**
 * Streams `source` into a fresh file under `tempDir`, hashing as it goes, so a 1 GiB artifact is
 * never held in memory. On any error the partial file is removed before the error is rethrown.
 */
export async function writeHashedTempFile(
  source: Readable,
  tempDir: string,
  onBytes?: (total: number) => void,
): Promise<HashedUpload> {
  const path = join(tempDir, `${TEMP_UPLOAD_PREFIX}${randomUUID()}`);
  const hash = createHash('sha256');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      onBytes?.(size);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, hashing, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, size, sha256: hash.digest('hex') };
}
