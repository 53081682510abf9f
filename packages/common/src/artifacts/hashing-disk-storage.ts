import { rm } from 'node:fs/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { writeHashedTempFile, type HashedUpload } from './hashed-temp-file.js';

/**
 * Writes still running for a request. multer reports a broken body as soon as busboy does,
 * while the file being written is still cleaning up after itself; waiting for these keeps
 * the promise that a refused upload leaves nothing behind by the time it is answered.
 */
const pendingWrites = new WeakMap<Request, Promise<unknown>[]>();

export async function settleUploadWrites(req: Request): Promise<void> {
  await Promise.allSettled(pendingWrites.get(req) ?? []);
}

/**
 * multer storage that streams each uploaded file to a hashed temp file on the store's volume,
 * so the later rename into place stays on one filesystem.
 */
export function createHashingDiskStorage(tempDir: string): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const writing = writeHashedTempFile(file.stream, tempDir);
      pendingWrites.set(req, [...(pendingWrites.get(req) ?? []), writing]);
      writing.then(upload => callback(null, upload), callback);
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
