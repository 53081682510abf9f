import express, { type RequestHandler, type Response } from 'express';
import { UnauthorizedError } from '../errors.js';
import {
  bodySha256,
  SIGNATURE_HEADER,
  verifyRequestSignature,
  type VerifiedSignature,
} from '../fleet/cluster-signature.js';
import { acceptBody, requireJsonContent } from './body.js';

export interface SignedJsonBodyOptions {
  clusterSecret: string;
  /** The route's path as signed (the route pattern, not the request's URL). */
  path: string;
  /** Marks a nonce used; false when it was (claimSignatureNonce). */
  claimNonce: (nonce: string) => Promise<boolean>;
  limit: string;
}

const signatureOf = (res: Response) => res.locals.signature as VerifiedSignature;

/**
 * A JSON body signed with the cluster secret, read only after the signature header checks out
 * (an outsider cannot make the service buffer anything), then held to the hash the signature
 * names and to its nonce, which works once: a captured request can be neither replayed nor
 * reused with another body.
 */
export function signedJsonBody({ clusterSecret, path, claimNonce, limit }: SignedJsonBodyOptions): RequestHandler[] {
  const checkHeader: RequestHandler = (req, res, next) => {
    const signature = verifyRequestSignature(clusterSecret, req.method, path, req.get(SIGNATURE_HEADER));
    if (!signature) throw new UnauthorizedError('This request needs a signature made with the cluster secret');
    res.locals.signature = signature;
    next();
  };
  const parse = express.json({
    limit,
    strict: true,
    type: 'application/json',
    verify: (_req, res, buf) => {
      (res as Response).locals.bodySha256 = bodySha256(buf);
    },
  });
  const checkBody: RequestHandler = async (_req, res, next) => {
    const signature = signatureOf(res);
    if (((res.locals.bodySha256 as string | undefined) ?? bodySha256()) !== signature.bodySha256) {
      throw new UnauthorizedError('The request body is not the one the signature was made for');
    }
    if (!(await claimNonce(signature.nonce))) throw new UnauthorizedError('This signed request was already used');
    next();
  };
  return [checkHeader, requireJsonContent(), acceptBody(), parse, checkBody];
}
