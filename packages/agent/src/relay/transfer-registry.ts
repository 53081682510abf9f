import { EventEmitter } from 'node:events';
import { PieceRing, type BorrowedPiece } from './piece-ring.js';

/** An artifact this node is receiving right now: pieces [0, verified) are on disk and verified. */
export interface Transfer {
  readonly sha256: string;
  readonly path: string;
  readonly size: number;
  readonly pieceSize: number;
  readonly hashes: readonly string[];
  readonly verified: number;
  readonly state: 'receiving' | 'complete' | 'failed';
}

export interface TransferHandle {
  /** A buffer of `size` bytes to assemble the next piece in (ring memory when the ring can spare it). */
  pieceBuffer(size: number): Buffer;
  /**
   * Pieces [0, count) are written and verified. `piece`: the bytes of piece count − 1, just
   * verified (a pieceBuffer), kept in the ring so readers get them without reading the file back.
   */
  advance(count: number, piece?: Buffer): void;
  complete(): void;
  /** Ends the transfer: waiting readers are told, later ones are not sent here. */
  release(): void;
}

/** Peer requests for a blob not started yet held open at once; more are answered 404 at once. */
export const MAX_WAITING_STARTS = 16;

/**
 * The transfers in progress on this node, so the peer route can serve pieces while they are
 * still arriving, and a reader can wait (bounded) for the next piece.
 */
export class TransferRegistry {
  private readonly transfers = new Map<string, Transfer & { verified: number; state: Transfer['state'] }>();
  private readonly events = new EventEmitter().setMaxListeners(0);
  private waitingStarts = 0;

  constructor(
    private readonly maxWaitingStarts = MAX_WAITING_STARTS,
    private readonly ring = new PieceRing(),
  ) {}

  get(sha256: string): Transfer | undefined {
    return this.transfers.get(sha256);
  }

  /** Receiving anything at all: an idle node is probably about to start the transfer a peer asks for. */
  busy(): boolean {
    return [...this.transfers.values()].some(t => t.state === 'receiving');
  }

  start(init: Omit<Transfer, 'verified' | 'state'>): TransferHandle {
    const transfer = { ...init, verified: 0, state: 'receiving' as Transfer['state'] };
    this.transfers.set(init.sha256, transfer);
    this.events.emit(`start:${init.sha256}`);
    const changed = () => this.events.emit(`change:${init.sha256}`);
    return {
      pieceBuffer: size => this.ring.take(size),
      advance: (count, piece) => {
        if (piece) this.ring.put(transfer, count - 1, piece);
        transfer.verified = count;
        changed();
      },
      complete: () => {
        transfer.state = 'complete';
        changed();
      },
      release: () => {
        this.ring.drop(transfer);
        if (transfer.state !== 'complete') transfer.state = 'failed';
        if (this.transfers.get(init.sha256) === transfer) this.transfers.delete(init.sha256);
        changed();
      },
    };
  }

  /**
   * Waits up to `timeoutMs` for a transfer of `sha256` to start. At most `maxWaitingStarts`
   * requests wait at once (each holds a peer's connection); past that the answer is at once.
   */
  async waitForStart(sha256: string, timeoutMs: number): Promise<Transfer | undefined> {
    const existing = this.transfers.get(sha256);
    if (existing || this.waitingStarts >= this.maxWaitingStarts) return existing;
    this.waitingStarts += 1;
    try {
      await this.once(`start:${sha256}`, timeoutMs, () => this.transfers.has(sha256));
    } finally {
      this.waitingStarts -= 1;
    }
    return this.transfers.get(sha256);
  }

  /** Resolves true once piece `index` is verified on disk; false if the transfer failed or the wait timed out. */
  async waitForPiece(transfer: Transfer, index: number, timeoutMs: number): Promise<boolean> {
    const ready = () => transfer.verified > index || transfer.state !== 'receiving';
    if (!ready()) await this.once(`change:${transfer.sha256}`, timeoutMs, ready);
    return transfer.verified > index;
  }

  /**
   * The bytes of piece `index` of `transfer` when it is verified and still in the ring, lent until
   * `release()`; undefined otherwise (read it from the file). A failed transfer serves nothing.
   */
  recentPiece(transfer: Transfer, index: number): BorrowedPiece | undefined {
    if (transfer.state === 'failed' || index >= transfer.verified) return undefined;
    return this.ring.borrow(transfer, index);
  }

  private once(event: string, timeoutMs: number, done: () => boolean): Promise<void> {
    return new Promise(resolve => {
      const finish = () => {
        clearTimeout(timer);
        this.events.off(event, check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.events.on(event, check);
    });
  }
}
