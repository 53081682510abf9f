import { rm } from 'node:fs/promises';
import {
  BadRequestError,
  routes,
  SIGNATURE_HEADER,
  UnauthorizedError,
  verifyRequestSignature,
  writeHashedTempFile,
} from '@modfleet/common';
import { Router, type Request } from 'express';
import type { BlobStore } from './blob-store.js';

/**
 * Another coordinator on this prefix hands over (PUT) or withdraws (DELETE) a blob; only
 * requests signed with the cluster secret, and only bytes that hash to the name they are sent under.
 */
export function blobCopyRoutes({ local, clusterSecret }: { local: BlobStore; clusterSecret: string }): Router {
  const router = Router();
  const requireSigned = (req: Request): string => {
    if (
      !verifyRequestSignature(clusterSecret, req.method, req.path, req.headers[SIGNATURE_HEADER] as string | undefined)
    )
      throw new UnauthorizedError('Blob copies need a request signed with the cluster secret');
    const sha256 = typeof req.params.sha256 === 'string' ? req.params.sha256 : '';
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new BadRequestError('invalid_blob', 'A blob is named by its sha256');
    return sha256;
  };

  router.put(routes.blob, async (req, res) => {
    const sha256 = requireSigned(req);
    const upload = await writeHashedTempFile(req, local.tempDir);
    try {
      if (upload.sha256 !== sha256)
        throw new BadRequestError('blob_mismatch', `The bytes sent hash to ${upload.sha256}, not ${sha256}`);
      await local.put(upload);
    } finally {
      await rm(upload.path, { force: true });
    }
    res.status(204).end();
  });

  router.delete(routes.blob, async (req, res) => {
    await local.remove(requireSigned(req));
    res.status(204).end();
  });
  return router;
}
