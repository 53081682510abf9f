import { describe, expect, it } from 'vitest';
import { PieceRing } from './piece-ring.js';
import { TransferRegistry } from './transfer-registry.js';

const KIB = 1024;

/** A buffer from the ring, filled with `fill` as a fetcher would fill it. */
function piece(ring: PieceRing, size: number, fill: number): Buffer {
  return ring.take(size).fill(fill);
}

describe('PieceRing: recently verified pieces in bounded memory', () => {
  it('never holds more than its bound: the oldest pieces go first', () => {
    const ring = new PieceRing(64 * KIB);
    const owner = {};
    for (let index = 0; index < 10; index += 1) ring.put(owner, index, piece(ring, 16 * KIB, index));

    expect(ring.bytes).toBeLessThanOrEqual(64 * KIB);
    expect(ring.borrow(owner, 0)).toBeUndefined();
    expect(ring.borrow(owner, 5)).toBeUndefined();
    for (const index of [6, 7, 8, 9]) expect(ring.borrow(owner, index)?.bytes).toEqual(Buffer.alloc(16 * KIB, index));
  });

  it('keeps no piece larger than itself, and no buffer it did not lend', () => {
    const ring = new PieceRing(64 * KIB);
    const owner = {};
    ring.put(owner, 0, piece(ring, 128 * KIB, 1));
    ring.put(owner, 1, Buffer.alloc(16 * KIB, 2));

    expect(ring.borrow(owner, 0)).toBeUndefined();
    expect(ring.borrow(owner, 1)).toBeUndefined();
    expect(ring.bytes).toBe(0);
  });

  it('does not reuse the memory of a piece a sender still holds, and does once it is released', () => {
    const ring = new PieceRing(32 * KIB);
    const owner = {};
    ring.put(owner, 0, piece(ring, 16 * KIB, 7));
    ring.put(owner, 1, piece(ring, 16 * KIB, 8));
    const lent = ring.borrow(owner, 0)!;

    // The ring is full: the next piece may not be assembled over the one being sent.
    const next = piece(ring, 16 * KIB, 9);
    expect(lent.bytes).toEqual(Buffer.alloc(16 * KIB, 7));
    ring.put(owner, 2, next);
    expect(ring.borrow(owner, 1)).toBeUndefined();

    lent.release();
    lent.release();
    piece(ring, 16 * KIB, 10);
    expect(ring.borrow(owner, 0)).toBeUndefined();
  });

  it('forgets the pieces of an ended transfer but keeps their memory for the next one', () => {
    const ring = new PieceRing(64 * KIB);
    const ended = {};
    const other = {};
    const first = piece(ring, 16 * KIB, 1);
    ring.put(ended, 0, first);
    ring.put(other, 0, piece(ring, 16 * KIB, 2));
    ring.drop(ended);

    expect(ring.borrow(ended, 0)).toBeUndefined();
    expect(ring.borrow(other, 0)?.bytes).toEqual(Buffer.alloc(16 * KIB, 2));
    expect(ring.bytes).toBe(32 * KIB);
    expect(ring.take(16 * KIB).buffer).toBe(first.buffer);
  });

  it('reuses the memory of an ended transfer only once its last sender is done', () => {
    const ring = new PieceRing(16 * KIB);
    const ended = {};
    const first = piece(ring, 16 * KIB, 1);
    ring.put(ended, 0, first);
    const lent = ring.borrow(ended, 0)!;
    ring.drop(ended);

    expect(ring.take(16 * KIB).buffer).not.toBe(first.buffer);
    expect(lent.bytes).toEqual(Buffer.alloc(16 * KIB, 1));
    lent.release();
    expect(ring.take(16 * KIB).buffer).toBe(first.buffer);
  });
});

describe('TransferRegistry: readers get only verified pieces from memory', () => {
  const SHA = 'd'.repeat(64);

  it('lends a piece once it is verified, never one still being assembled, and nothing of a failed transfer', () => {
    const registry = new TransferRegistry(16, new PieceRing(64 * KIB));
    const handle = registry.start({
      sha256: SHA,
      path: '/tmp/x',
      size: 32 * KIB,
      pieceSize: 16 * KIB,
      hashes: ['0', '1'],
    });
    const transfer = registry.get(SHA)!;
    const first = handle.pieceBuffer(16 * KIB).fill(1);

    // Filled but not verified yet: not served from memory.
    expect(registry.recentPiece(transfer, 0)).toBeUndefined();
    handle.advance(1, first);
    expect(registry.recentPiece(transfer, 0)?.bytes).toEqual(Buffer.alloc(16 * KIB, 1));
    expect(registry.recentPiece(transfer, 1)).toBeUndefined();

    handle.release();
    expect(transfer.state).toBe('failed');
    expect(registry.recentPiece(transfer, 0)).toBeUndefined();
  });
});
