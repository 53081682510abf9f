import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';

/** What the storage engine adds to multer's `req.file`. */
export interface HashedUpload {
  path: string;
  size: number;
  sha256: string;
}

export const TEMP_UPLOAD_PREFIX = 'upload-';

/**
 * Streams each uploaded file to a fresh temp file on the store's volume while hashing it, so a
 * 1 GiB artifact never sits in memory and the later rename into place stays on one filesystem.
 */
export function createHashingDiskStorage(tempDir: string): StorageEngine {
  return {
    _handleFile(_req, file, callback) {
      const path = join(tempDir, `${TEMP_UPLOAD_PREFIX}${randomUUID()}`);
      const hash = createHash('sha256');
      let size = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      pipeline(file.stream, hashing, createWriteStream(path, { flags: 'wx' })).then(
        () => {
          const upload: HashedUpload = { path, size, sha256: hash.digest('hex') };
          callback(null, upload);
        },
        async (err: unknown) => {
          await rm(path, { force: true });
          callback(err);
        },
      );
    },
    _removeFile(_req, file, callback) {
      rm(file.path, { force: true }).then(() => callback(null), callback);
    },
  };
}

export function uploadedFile(req: Request): HashedUpload | undefined {
  const file: (Express.Multer.File & { sha256?: string }) | undefined = req.file;
  if (!file?.sha256) return undefined;
  return { path: file.path, size: file.size, sha256: file.sha256 };
}
