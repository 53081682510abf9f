import { open, type FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import {
  NotFoundError,
  pieceRange,
  RangeNotSatisfiableError,
  routes,
  sha256Hex,
  SIGNATURE_HEADER,
  UnauthorizedError,
  verifyRequestSignature,
  type Logger,
  type Metrics,
} from '@modfleet/common';
import { Router } from 'express';
import type { LocalBlobs } from './local-blobs.js';
import type { Transfer, TransferRegistry } from './transfer-registry.js';

/** An idle node asked for a blob it is not receiving yet waits this long for its own job to start. */
export const START_WAIT_MS = 3_000;
/**
 * A node busy receiving another blob (concurrent pushes) waits longer: its job for this one starts
 * once the current one is installed. Below the downstream's 5 s stall timeout, so the downstream
 * gets a clean 404 and moves on rather than timing out.
 */
export const BUSY_START_WAIT_MS = 4_500;
/** A piece not yet arrived is waited for this long (longer than a downstream's stall timeout, so the downstream decides). */
export const PIECE_WAIT_MS = 30_000;

export interface PeerRouteDeps {
  clusterSecret: string;
  blobs: LocalBlobs;
  transfers: TransferRegistry;
  logger: Logger;
  metrics: Metrics;
}

interface Serving {
  path: string;
  size: number;
  pieceSize: number;
  hashes: readonly string[];
  transfer?: Transfer;
}

/**
 * Resolves once the socket takes more, or false once the peer has gone (it moved to another
 * source): nothing to report. `done` runs once the socket is done with `bytes` (or gone).
 */
function send(res: ServerResponse, bytes: Buffer, done: () => void = () => {}): Promise<boolean> {
  if (res.destroyed) {
    done();
    return Promise.resolve(false);
  }
  if (res.write(bytes, () => done())) return Promise.resolve(true);
  return new Promise(resolve => {
    const ready = () => {
      res.off('drain', ready);
      res.off('close', ready);
      resolve(!res.destroyed);
    };
    res.on('drain', ready);
    res.on('close', ready);
  });
}

/**
 * A piece of a transfer in progress, read back from its file: it was verified by this process
 * just before it was written (and it fell out of the ring since). Undefined if the file is short.
 */
async function readPiece(file: FileHandle, range: { start: number; end: number }): Promise<Buffer | undefined> {
  // A fresh buffer per piece: the socket may still hold the previous one.
  const bytes = Buffer.allocUnsafe(range.end - range.start);
  const { bytesRead } = await file.read(bytes, 0, bytes.length, range.start);
  return bytesRead === bytes.length ? bytes : undefined;
}

/** A piece of a stored copy, hashed again: the copy could have drifted since it was verified. */
async function readStoredPiece(
  file: FileHandle,
  range: { start: number; end: number },
  hash: string | undefined,
): Promise<Buffer | undefined> {
  const piece = await readPiece(file, range);
  return piece && sha256Hex(piece) === hash ? piece : undefined;
}

/**
 * Serves a verified artifact to peers by sha256, with HTTP Range, pieces it is still receiving
 * included (a piece not yet arrived is waited for); those come from the ring of recently verified
 * pieces while they are in it, from the file after. Every piece of a stored copy is re-hashed as
 * it is read: a copy that drifted on disk is never sent, the connection is cut instead, and the
 * peer moves on.
 */
export function peerBlobRoutes({ clusterSecret, blobs, transfers, logger, metrics }: PeerRouteDeps): Router {
  const router = Router();

  async function resolve(sha256: string): Promise<Serving | undefined> {
    const held = await blobs.find(sha256);
    if (held)
      return { path: held.path, size: held.index.size, pieceSize: held.index.piece_size, hashes: held.index.pieces };
    const transfer =
      transfers.get(sha256) ??
      (await transfers.waitForStart(sha256, transfers.busy() ? BUSY_START_WAIT_MS : START_WAIT_MS));
    if (!transfer || transfer.state === 'failed') return undefined;
    return {
      path: transfer.path,
      size: transfer.size,
      pieceSize: transfer.pieceSize,
      hashes: transfer.hashes,
      transfer,
    };
  }

  async function openServing(sha256: string): Promise<{ serving: Serving; file: FileHandle } | undefined> {
    // The file can move between lookup and open (a transfer just installed): look again once.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const serving = await resolve(sha256);
      if (!serving) return undefined;
      try {
        return { serving, file: await open(serving.path, 'r') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return undefined;
  }

  router.get(routes.peerBlob, async (req, res) => {
    if (!verifyRequestSignature(clusterSecret, 'GET', req.path, req.headers[SIGNATURE_HEADER] as string | undefined)) {
      throw new UnauthorizedError('Peer blob downloads need a request signed with the cluster secret');
    }
    const sha256 = req.params.sha256 ?? '';
    const opened = /^[0-9a-f]{64}$/.test(sha256) ? await openServing(sha256) : undefined;
    if (!opened) throw new NotFoundError('blob_not_held', 'This node holds no verified copy of that artifact');
    const { serving, file } = opened;
    const log = logger.child({ sha256, peer: req.socket.remoteAddress });
    try {
      const ranges = req.headers.range ? req.range(serving.size) : undefined;
      if (typeof ranges === 'number' || (ranges && ranges.length !== 1)) {
        res.set('content-range', `bytes */${serving.size}`);
        throw new RangeNotSatisfiableError('Give one byte range within the artifact');
      }
      const start = ranges ? ranges[0]!.start : 0;
      const end = ranges ? ranges[0]!.end + 1 : serving.size;
      res.status(ranges ? 206 : 200).set({
        'content-type': 'application/octet-stream',
        'content-length': String(end - start),
        ...(ranges && { 'content-range': `bytes ${start}-${end - 1}/${serving.size}` }),
      });
      res.flushHeaders();
      for (let piece = Math.floor(start / serving.pieceSize); piece * serving.pieceSize < end; piece += 1) {
        if (serving.transfer && !(await transfers.waitForPiece(serving.transfer, piece, PIECE_WAIT_MS))) {
          log.warn({ piece }, 'piece did not arrive in time (or the transfer failed): cutting the peer off');
          res.destroy();
          return;
        }
        const range = pieceRange(piece, serving.size, serving.pieceSize);
        const from = Math.max(start, range.start) - range.start;
        const to = Math.min(end, range.end) - range.start;
        const recent = serving.transfer && transfers.recentPiece(serving.transfer, piece);
        const bytes =
          recent?.bytes ??
          (serving.transfer ? await readPiece(file, range) : await readStoredPiece(file, range, serving.hashes[piece]));
        if (!bytes) {
          log.warn({ piece }, 'local copy does not match its piece hash (drifted): not serving it');
          await blobs.distrust(sha256);
          res.destroy();
          return;
        }
        if (!(await send(res, bytes.subarray(from, to), recent?.release))) return;
        metrics.artifactBytesServed.inc(to - from);
      }
      res.end();
    } finally {
      await file.close();
    }
  });
  return router;
}
