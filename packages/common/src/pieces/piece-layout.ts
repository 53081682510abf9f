import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Piece size of a node's own stored copies (re-hashed after a restart; any size serves any range). */
export const PIECE_SIZE = 256 * 1024;

export const MIN_PIECE_SIZE = 64 * 1024;
export const MAX_PIECE_SIZE = 4 * 1024 * 1024;
/** Pieces aimed at per artifact: each relay hop then adds at most 1/256 of one transfer time. */
export const TARGET_PIECES = 256;

/**
 * Piece size for relaying an artifact of `size` bytes (docs/fleet.md says why): the smallest
 * power of two that cuts it into at most TARGET_PIECES, within [64 KiB, 4 MiB]. Every hop of a
 * chain adds one piece time, so small pieces for small artifacts; the count stays bounded so the
 * list fits in the job for artifacts up to 1 GiB.
 */
export function pieceSizeFor(size: number): number {
  let pieceSize = MIN_PIECE_SIZE;
  while (pieceSize < MAX_PIECE_SIZE && size > pieceSize * TARGET_PIECES) pieceSize *= 2;
  return pieceSize;
}

/** Piece hashes ride in the job payload up to this many (every artifact up to 1 GiB, about 17 KiB of JSON); larger ones name a URL instead. */
export const MAX_INLINE_PIECES = TARGET_PIECES;

export function pieceCount(size: number, pieceSize: number): number {
  return Math.max(1, Math.ceil(size / pieceSize));
}

/** Byte range [start, end) of piece `index`. */
export function pieceRange(index: number, size: number, pieceSize: number): { start: number; end: number } {
  const start = index * pieceSize;
  return { start, end: Math.min(size, start + pieceSize) };
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The piece list of a blob: its whole sha256 and one sha256 per fixed-size piece. */
export interface PieceIndex {
  sha256: string;
  size: number;
  piece_size: number;
  pieces: string[];
}

/**
 * Reads a blob once, hashing the whole and every piece; a stream of any chunking gives the
 * same answer. An empty blob has one (empty) piece so the list is never empty.
 */
export async function hashPieces(source: Readable, pieceSize = PIECE_SIZE): Promise<PieceIndex> {
  const whole = createHash('sha256');
  const pieces: string[] = [];
  let piece = createHash('sha256');
  let inPiece = 0;
  let size = 0;
  for await (const chunk of source) {
    let buffer = chunk as Buffer;
    whole.update(buffer);
    size += buffer.length;
    while (buffer.length > 0) {
      const take = Math.min(pieceSize - inPiece, buffer.length);
      piece.update(buffer.subarray(0, take));
      inPiece += take;
      buffer = buffer.subarray(take);
      if (inPiece === pieceSize) {
        pieces.push(piece.digest('hex'));
        piece = createHash('sha256');
        inPiece = 0;
      }
    }
  }
  if (inPiece > 0 || pieces.length === 0) pieces.push(piece.digest('hex'));
  return { sha256: whole.digest('hex'), size, piece_size: pieceSize, pieces };
}
