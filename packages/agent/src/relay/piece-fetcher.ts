import { createHash, randomUUID } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  pieceCount,
  pieceRange,
  sharedClusterHttpClient,
  TEMP_UPLOAD_PREFIX,
  type BlobSource,
  type ClusterHttpClient,
  type HashedUpload,
  type Logger,
  type SourceUse,
} from '@modfleet/common';
import type { TransferHandle, TransferRegistry } from './transfer-registry.js';

/** No bytes from a source for this long: drop it and resume from the same piece against the next. */
export const SOURCE_STALL_MS = 5_000;

export interface FetchRequest {
  sha256: string;
  size: number;
  pieceSize: number;
  hashes: readonly string[];
  sources: readonly BlobSource[];
  tempDir: string;
  /**
   * Also check the whole sha256: for a piece list fetched over the network rather than carried in
   * the job, where nothing else binds the list to the job's sha256.
   */
  verifyWhole?: boolean;
}

export interface FetchDeps {
  clusterSecret: string;
  /** Resolves a source URL (the origin's is a path on the coordinator). */
  resolveUrl: (url: string) => string;
  transfers: TransferRegistry;
  logger: Logger;
  onBytes?: (total: number) => void;
  stallMs?: number;
  /** The cluster client, verifying peers' certificates against the cluster CA (https sources). */
  http?: ClusterHttpClient | undefined;
}

export interface FetchedBlob {
  upload: HashedUpload;
  sources: SourceUse[];
  /** Call once the file has been installed (or dropped): peers stop reading it as a transfer. */
  release(): void;
}

class RefusedPiece extends Error {}

async function writeAt(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Pulls an artifact's pieces in order with HTTP Range, from the first source that delivers.
 * Each chunk is copied once, into ring memory lent by the transfer registry, and hashed there as
 * it lands; once the piece's sha256 matched, it is written, and only then counted and served
 * onward (from that memory while the ring keeps it). A refused piece, an error or a stall moves
 * on to the next source from the start of the current piece. The temp file is fsynced before it
 * is handed over, and removed on any failure.
 *
 * No whole-file sha256 at the end when the hashes rode in the job: the pieces cover [0, size)
 * exactly (their count is checked), and their hashes come from the coordinator, which cut them
 * from the stored blob in the same pass that checked the blob's sha256 (piece-index-store), and
 * reach the node the way the job's sha256 does. Bytes whose every piece matches are that blob's
 * bytes unless sha256 itself has a second preimage, which the whole-file check would rely on as
 * well. A list fetched over HTTP (`verifyWhole`) is not bound to the job's sha256 by anything the
 * node can check (a plain-HTTP cluster has no TLS), so there the whole file is hashed too.
 */
export async function fetchPieces(request: FetchRequest, deps: FetchDeps): Promise<FetchedBlob> {
  const { sha256, size, pieceSize, hashes, sources, tempDir } = request;
  if (hashes.length !== pieceCount(size, pieceSize))
    throw new Error(`the piece list has ${hashes.length} hashes, ${pieceCount(size, pieceSize)} pieces expected`);
  const stallMs = deps.stallMs ?? SOURCE_STALL_MS;
  const http = deps.http ?? sharedClusterHttpClient();
  const path = join(tempDir, `${TEMP_UPLOAD_PREFIX}relay-${randomUUID()}`);
  const file = await open(path, 'wx');
  const handle: TransferHandle = deps.transfers.start({ sha256, path, size, pieceSize, hashes });
  const whole = request.verifyWhole ? createHash('sha256') : undefined;
  const used: SourceUse[] = [];
  let next = 0;
  const tried: string[] = [];

  async function pullFrom(source: BlobSource): Promise<void> {
    const url = deps.resolveUrl(source.url);
    const offset = pieceRange(next, size, pieceSize).start;
    const use: SourceUse = { source: source.id, bytes: 0 };
    // The current piece: where it goes, its bytes so far and their running hash.
    let at = pieceRange(next, size, pieceSize);
    let piece = handle.pieceBuffer(at.end - at.start);
    let filled = 0;
    let hash = createHash('sha256');
    const takeChunk = async (chunk: Buffer): Promise<'stop' | undefined> => {
      use.first_byte_at ??= new Date().toISOString();
      let data = chunk;
      while (data.length > 0 && next < hashes.length) {
        const take = data.copy(piece, filled);
        hash.update(piece.subarray(filled, filled + take));
        filled += take;
        data = data.subarray(take);
        if (filled < piece.length) continue;
        if (hash.digest('hex') !== hashes[next])
          throw new RefusedPiece(`sha256 mismatch: piece ${next} does not match its sha256`);
        await writeAt(file, piece, at.start);
        whole?.update(piece);
        use.bytes += piece.length;
        use.last_byte_at = new Date().toISOString();
        next += 1;
        handle.advance(next, piece);
        deps.onBytes?.(at.end);
        if (next < hashes.length) {
          at = pieceRange(next, size, pieceSize);
          piece = handle.pieceBuffer(at.end - at.start);
          filled = 0;
          hash = createHash('sha256');
        }
      }
      return next >= hashes.length ? 'stop' : undefined;
    };
    try {
      // The idle timeout covers a source that never answers and one that stops mid-stream.
      await http.downloadTo(url, takeChunk, {
        what: `piece ${next} from ${source.id}`,
        clusterSecret: deps.clusterSecret,
        headers: { range: `bytes=${offset}-` },
        idleTimeoutMs: stallMs,
        accept: status => status === 206 || (status === 200 && offset === 0),
      });
    } finally {
      if (use.bytes > 0) used.push(use);
    }
    if (next < hashes.length) throw new Error(`ended at piece ${next} of ${hashes.length}`);
  }

  try {
    for (const source of sources) {
      if (next >= hashes.length) break;
      try {
        await pullFrom(source);
        tried.push(source.id);
      } catch (err) {
        const refused = err instanceof RefusedPiece;
        // The op's error names each source's reason: a corrupted origin must read as a sha256 mismatch.
        tried.push(`${source.id}: ${(err as Error).message}`);
        deps.logger.warn(
          { source: source.id, piece: next, err: (err as Error).message },
          refused
            ? 'refused a piece whose sha256 does not match; fetching it again from the next source'
            : 'source failed or stalled; resuming from the current piece against the next source',
        );
      }
    }
    if (next < hashes.length)
      throw new Error(`no source delivered piece ${next} of ${hashes.length} (tried ${tried.join(', ')})`);
    const digest = whole?.digest('hex');
    if (digest !== undefined && digest !== sha256)
      throw new Error(`sha256 mismatch: assembled bytes have sha256 ${digest}, expected ${sha256}`);
    // On disk before the store renames it into place, as an upload or a download is.
    await file.sync();
    await file.close();
    handle.complete();
  } catch (err) {
    await file.close().catch(() => undefined);
    handle.release();
    await rm(path, { force: true });
    throw err;
  }
  return { upload: { path, size, sha256 }, sources: used, release: () => handle.release() };
}
