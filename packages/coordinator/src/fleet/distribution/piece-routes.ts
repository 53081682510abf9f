import { NotFoundError, routes, SIGNATURE_HEADER, UnauthorizedError, verifyRequestSignature } from '@modfleet/common';
import { Router } from 'express';
import type { PieceIndexStore } from './piece-index-store.js';

/** A blob's piece list, for agents relaying an artifact too large to list its pieces in the job; signed like the blobs. */
export function pieceRoutes({ pieces, clusterSecret }: { pieces: PieceIndexStore; clusterSecret: string }): Router {
  const router = Router();
  router.get(routes.blobPieces, async (req, res) => {
    if (!verifyRequestSignature(clusterSecret, 'GET', req.path, req.headers[SIGNATURE_HEADER] as string | undefined)) {
      throw new UnauthorizedError('Piece lists need a request signed with the cluster secret');
    }
    const index = await pieces.ensure(req.params.sha256 ?? '');
    if (!index) throw new NotFoundError('blob_not_found', 'No such artifact on the coordinator');
    res.json(index);
  });
  return router;
}
