import { pipeline } from 'node:stream/promises';
import {
  NotFoundError,
  routes,
  SIGNATURE_HEADER,
  UnauthorizedError,
  verifyRequestSignature,
  type Metrics,
} from '@modfleet/common';
import { Router } from 'express';
import type { BlobStore } from './blob-store.js';

/** Agents fetch artifacts here, with a request signed by the cluster secret; never open to anyone else. */
export function blobRoutes({
  blobs,
  clusterSecret,
  metrics,
}: {
  blobs: BlobStore;
  clusterSecret: string;
  metrics: Metrics;
}): Router {
  const router = Router();
  router.get(routes.blob, async (req, res) => {
    if (!verifyRequestSignature(clusterSecret, 'GET', req.path, req.headers[SIGNATURE_HEADER] as string | undefined)) {
      throw new UnauthorizedError('Blob downloads need a request signed with the cluster secret');
    }
    const blob = await blobs.open(req.params.sha256);
    if (!blob)
      throw new NotFoundError(
        'blob_not_found',
        'No such artifact on the coordinator (it may have been deleted from the fleet)',
      );
    res.status(200).set({ 'content-type': 'application/zip', 'content-length': String(blob.size) });
    await pipeline(blob.stream, res);
    metrics.artifactBytesServed.inc(blob.size);
  });
  return router;
}
