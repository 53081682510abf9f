import { pipeline } from 'node:stream/promises';
import {
  NotFoundError,
  RangeNotSatisfiableError,
  routes,
  SIGNATURE_HEADER,
  UnauthorizedError,
  verifyRequestSignature,
  type Metrics,
} from '@modfleet/common';
import { Router } from 'express';
import type { BlobStore } from './blob-store.js';
import { LOCAL_ONLY_HEADER } from './peer-blob-copy.js';

/** Agents fetch artifacts here, with a request signed by the cluster secret; never open to anyone else. */
export function blobRoutes({
  blobs: every,
  localBlobs,
  clusterSecret,
  metrics,
}: {
  blobs: BlobStore;
  /** This coordinator's own disk, for peers (absent: `blobs` is that already). */
  localBlobs?: BlobStore | undefined;
  clusterSecret: string;
  metrics: Metrics;
}): Router {
  const router = Router();
  router.get(routes.blob, async (req, res) => {
    if (!verifyRequestSignature(clusterSecret, 'GET', req.path, req.headers[SIGNATURE_HEADER] as string | undefined)) {
      throw new UnauthorizedError('Blob downloads need a request signed with the cluster secret');
    }
    const blobs = localBlobs && req.headers[LOCAL_ONLY_HEADER] ? localBlobs : every;
    const notFound = () =>
      new NotFoundError(
        'blob_not_found',
        'No such artifact on the coordinator (it may have been deleted from the fleet)',
      );
    const size = await blobs.size(req.params.sha256);
    if (size === undefined) throw notFound();
    // One Range (a relaying agent resuming from its offset); anything else gets the whole blob.
    const ranges = req.headers.range ? req.range(size) : undefined;
    if (typeof ranges === 'number' || (ranges && ranges.length !== 1)) {
      res.set('content-range', `bytes */${size}`);
      throw new RangeNotSatisfiableError('Give one byte range within the artifact');
    }
    const range = ranges?.[0];
    const blob = await blobs.open(req.params.sha256, range && { start: range.start, end: range.end });
    if (!blob) throw notFound();
    const length = range ? range.end - range.start + 1 : size;
    res.status(range ? 206 : 200).set({
      'content-type': 'application/zip',
      'content-length': String(length),
      ...(range && { 'content-range': `bytes ${range.start}-${range.end}/${size}` }),
    });
    await pipeline(blob.stream, res);
    metrics.artifactBytesServed.inc(length);
  });
  return router;
}
