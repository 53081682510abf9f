import { describe, expect, it } from 'vitest';
import { TransferRegistry } from './transfer-registry.js';

const SHA = 'b'.repeat(64);
const init = { sha256: SHA, path: '/tmp/x', size: 3000, pieceSize: 1024, hashes: ['1', '2', '3'] };

describe('TransferRegistry: readers wait for pieces still arriving', () => {
  it('wakes a reader waiting for a piece as soon as it is verified', async () => {
    const registry = new TransferRegistry();
    const handle = registry.start(init);
    const transfer = registry.get(SHA)!;

    const waiting = registry.waitForPiece(transfer, 1, 5_000);
    handle.advance(1);
    handle.advance(2);

    await expect(waiting).resolves.toBe(true);
    expect(registry.busy()).toBe(true);
  });

  it('answers false when the wait times out or the transfer fails, and forgets a released transfer', async () => {
    const registry = new TransferRegistry();
    const handle = registry.start(init);
    const transfer = registry.get(SHA)!;

    await expect(registry.waitForPiece(transfer, 0, 20)).resolves.toBe(false);
    const waiting = registry.waitForPiece(transfer, 2, 5_000);
    handle.release();

    await expect(waiting).resolves.toBe(false);
    expect(transfer.state).toBe('failed');
    expect(registry.get(SHA)).toBeUndefined();
    expect(registry.busy()).toBe(false);
  });

  it('lets a request that came first wait for the transfer to start', async () => {
    const registry = new TransferRegistry();

    const early = registry.waitForStart(SHA, 5_000);
    registry.start(init);

    await expect(early).resolves.toMatchObject({ sha256: SHA, state: 'receiving', verified: 0 });
    await expect(registry.waitForStart('c'.repeat(64), 20)).resolves.toBeUndefined();
  });
});
