import type { HashedUpload } from '../artifacts/hashed-temp-file.js';
import { createHashingDiskStorage, settleUploadWrites, uploadedFile } from '../artifacts/hashing-disk-storage.js';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import { acceptBody } from './body.js';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';

export const ARTIFACT_FIELD = 'module';

/**
 * The multipart chain for an artifact upload: refuse a declared oversize body before
 * `100 Continue`, then stream the `module` part to a hashed temp file.
 */
export function receiveArtifact(tempDir: string, maxArtifactBytes: number): RequestHandler[] {
  const upload = multer({
    storage: createHashingDiskStorage(tempDir),
    limits: { fileSize: maxArtifactBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 32 },
  }).single(ARTIFACT_FIELD);

  const refuseDeclaredOversize: RequestHandler = (req, _res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    // Multipart framing adds a few hundred bytes around the file itself.
    if (declared > maxArtifactBytes + 64 * 1024) {
      throw new PayloadTooLargeError(
        'artifact_too_large',
        `The module artifact is larger than this node accepts (${maxArtifactBytes} bytes)`,
      );
    }
    next();
  };
  const uploadThenSettle: RequestHandler = (req, res, next) => {
    upload(req, res, err => {
      if (!err) return next();
      settleUploadWrites(req).then(() => next(err), next);
    });
  };
  return [refuseDeclaredOversize, acceptBody(), uploadThenSettle];
}

export function requireUploadedArtifact(req: Request): HashedUpload {
  const file = uploadedFile(req);
  if (!file) {
    throw new BadRequestError(
      'no_module',
      `No module artifact in the request: send the .zip as multipart field "${ARTIFACT_FIELD}" (curl -F ${ARTIFACT_FIELD}=@module.zip)`,
    );
  }
  return file;
}
