/**
 * Memory for recently verified pieces, at most this many bytes in all: a downstream in a chain
 * asks for a piece right after it was verified here, so a few MiB serve nearly every read without
 * reading the file back. 4 MiB hold 64 pieces of 64 KiB, or one of the largest (4 MiB).
 */
export const PIECE_RING_BYTES = 4 * 1024 * 1024;

interface Entry {
  owner: object;
  slab: ArrayBuffer;
  size: number;
  /** Sends still holding the bytes: the slab is not reused before they are done. */
  readers: number;
  /** Its transfer ended: the slab goes back to the free list once no sender holds it. */
  dropped: boolean;
}

/** Bytes lent to a sender; `release()` once the socket is done with them (its write callback). */
export interface BorrowedPiece {
  bytes: Buffer;
  release: () => void;
}

/**
 * Pieces are assembled in the ring's own buffers (slabs) and kept there once verified; the
 * oldest one no send is reading is reused for the next piece. So a relayed piece costs no
 * allocation: the chunks off the socket die young, and the garbage collector, not the copy out of
 * them, was what the relay paid for (bench/results/2026-12-07-relay-cpu.md). Only the transfer
 * registry puts pieces here, and only pieces whose sha256 matched.
 */
export class PieceRing {
  private readonly entries = new Map<string, Entry>();
  private readonly ids = new WeakMap<object, number>();
  private readonly pooled = new WeakSet<ArrayBuffer>();
  /** Slabs of ended transfers, ready for the next piece. */
  private readonly free: ArrayBuffer[] = [];
  private nextId = 0;
  private held = 0;

  constructor(readonly maxBytes = PIECE_RING_BYTES) {}

  /** Bytes the ring holds, free slabs included (never above maxBytes); a piece being assembled is not counted. */
  get bytes(): number {
    return this.held;
  }

  /**
   * A buffer of exactly `size` bytes to assemble a piece in: a free slab, an idle old piece's
   * slab, or new ring memory while the ring has room; else a plain buffer the ring will not keep.
   */
  take(size: number): Buffer {
    const fits = this.free.findIndex(slab => slab.byteLength >= size);
    if (fits >= 0) {
      const [slab] = this.free.splice(fits, 1);
      this.held -= slab!.byteLength;
      return Buffer.from(slab!, 0, size);
    }
    // None fits: the free slabs are too small for this transfer's pieces.
    while (this.held + size > this.maxBytes && this.free.length > 0) this.held -= this.free.pop()!.byteLength;
    for (const [key, entry] of this.entries) {
      if (this.held + size <= this.maxBytes) break;
      if (entry.readers > 0) continue;
      this.remove(key);
      if (entry.slab.byteLength >= size) return Buffer.from(entry.slab, 0, size);
    }
    if (this.held + size > this.maxBytes) return Buffer.allocUnsafe(size);
    const slab = new ArrayBuffer(size);
    this.pooled.add(slab);
    return Buffer.from(slab);
  }

  /** Keeps `bytes` (from take(), filled and verified) as piece `index` of `owner`. */
  put(owner: object, index: number, bytes: Buffer): void {
    const slab = bytes.buffer as ArrayBuffer;
    if (!this.pooled.has(slab) || bytes.byteOffset !== 0) return;
    const key = this.keyOf(owner, index);
    this.remove(key);
    for (const [oldest, entry] of this.entries) {
      if (this.held + slab.byteLength <= this.maxBytes) break;
      if (entry.readers === 0) this.remove(oldest);
    }
    if (this.held + slab.byteLength > this.maxBytes) return;
    this.entries.set(key, { owner, slab, size: bytes.length, readers: 0, dropped: false });
    this.held += slab.byteLength;
  }

  /** Piece `index` of `owner` if the ring still holds it, lent until `release()`. */
  borrow(owner: object, index: number): BorrowedPiece | undefined {
    const entry = this.entries.get(this.keyOf(owner, index));
    if (!entry) return undefined;
    entry.readers += 1;
    let released = false;
    return {
      bytes: Buffer.from(entry.slab, 0, entry.size),
      release: () => {
        if (released) return;
        released = true;
        entry.readers -= 1;
        if (entry.dropped && entry.readers === 0) this.recycle(entry.slab);
      },
    };
  }

  /**
   * Forgets every piece of `owner` (its transfer ended). Their slabs stay with the ring for the
   * next transfer (once no sender holds them), so a node that relays again allocates nothing.
   */
  drop(owner: object): void {
    for (const [key, entry] of this.entries) {
      if (entry.owner !== owner) continue;
      this.remove(key);
      entry.dropped = true;
      if (entry.readers === 0) this.recycle(entry.slab);
    }
  }

  private recycle(slab: ArrayBuffer): void {
    if (this.held + slab.byteLength > this.maxBytes) return;
    this.free.push(slab);
    this.held += slab.byteLength;
  }

  private keyOf(owner: object, index: number): string {
    let id = this.ids.get(owner);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(owner, id);
    }
    return `${id}:${index}`;
  }

  /** Out of the entries: a removed slab is handed out again only by take() or recycle(). */
  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.slab.byteLength;
  }
}
