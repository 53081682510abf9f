import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hashPieces, MAX_INLINE_PIECES, pieceCount, pieceRange, pieceSizeFor } from './piece-layout.js';

const hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Splits `bytes` into chunks of the given sizes, cycling. */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i += 1) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(chunks);
}

describe('piece layout', () => {
  it('hashes every fixed-size piece and the whole, whatever the stream chunking', async () => {
    const bytes = randomBytes(10 * 1024 + 123);
    const pieceSize = 1024;

    const a = await hashPieces(chunked(bytes, [1]), pieceSize);
    const b = await hashPieces(chunked(bytes, [4096, 17, 1000]), pieceSize);

    expect(a).toEqual(b);
    expect(a.sha256).toBe(hex(bytes));
    expect(a.size).toBe(bytes.length);
    expect(a.pieces).toHaveLength(11);
    expect(a.pieces[0]).toBe(hex(bytes.subarray(0, 1024)));
    expect(a.pieces[10]).toBe(hex(bytes.subarray(10 * 1024)));
  });

  it('gives an exact multiple no empty trailing piece, and an empty blob one empty piece', async () => {
    const exact = await hashPieces(Readable.from([randomBytes(2048)]), 1024);
    const empty = await hashPieces(Readable.from([]), 1024);

    expect(exact.pieces).toHaveLength(2);
    expect(empty.pieces).toEqual([hex(Buffer.alloc(0))]);
    expect(pieceCount(2048, 1024)).toBe(2);
    expect(pieceCount(2049, 1024)).toBe(3);
    expect(pieceCount(0, 1024)).toBe(1);
  });

  it('clips the last piece range to the blob size', () => {
    expect(pieceRange(0, 2500, 1024)).toEqual({ start: 0, end: 1024 });
    expect(pieceRange(2, 2500, 1024)).toEqual({ start: 2048, end: 2500 });
  });

  it('sizes pieces from the artifact: 64 KiB up to 16 MiB, doubling to 4 MiB, the list inline up to 1 GiB', () => {
    const KiB = 1024;
    const MiB = 1024 * KiB;
    expect(pieceSizeFor(0)).toBe(64 * KiB);
    expect(pieceSizeFor(16 * MiB)).toBe(64 * KiB);
    expect(pieceSizeFor(16 * MiB + 1)).toBe(128 * KiB);
    expect(pieceSizeFor(1024 * MiB)).toBe(4 * MiB);
    expect(pieceSizeFor(64 * 1024 * MiB)).toBe(4 * MiB);
    for (const size of [1, 16 * MiB + 1, 300 * MiB, 1024 * MiB])
      expect(pieceCount(size, pieceSizeFor(size)), `${size} bytes`).toBeLessThanOrEqual(MAX_INLINE_PIECES);
    expect(pieceCount(1024 * MiB + 1, pieceSizeFor(1024 * MiB + 1))).toBeGreaterThan(MAX_INLINE_PIECES);
  });
});
