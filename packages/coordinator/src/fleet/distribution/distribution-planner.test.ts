import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex, type NodeView } from '@modfleet/common';
import { createFakeNodeInventoryStore } from '@modfleet/common/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createDistributionPlanner } from './distribution-planner.js';
import { createFakeBlobStore } from '../blobs/fake-blob-store.js';
import { createDiskPieceIndexStore } from './piece-index-store.js';

const MiB = 1024 * 1024;

describe('distribution planner: the piece list a node gets', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function planFor(bytes: Buffer) {
    dir = await mkdtemp(join(tmpdir(), 'planner-'));
    await mkdir(join(dir, 'blobs'));
    const blobs = createFakeBlobStore(dir);
    const sha256 = sha256Hex(bytes);
    blobs.held.set(sha256, bytes);
    const nodes = [1, 2].map(uid => ({ uid, url: `http://10.0.0.${uid}:9443`, status: 'active' }) as NodeView);
    const plan = createDistributionPlanner({
      inventory: createFakeNodeInventoryStore(),
      nodes: { list: () => Promise.resolve(nodes) },
      pieces: createDiskPieceIndexStore(dir, blobs),
    });
    return plan(nodes.map(node => ({ node_uid: node.uid, op: 'install', sha256 })));
  }

  it('puts the hashes of a 16 MiB artifact in the job: no node fetches the list first', async () => {
    const [first, second] = await planFor(Buffer.alloc(16 * MiB + 4096, 7));

    expect(first?.pieces?.list_url).toBeUndefined();
    expect(first?.pieces?.hashes).toHaveLength(first!.pieces!.count);
    expect(second?.pieces).toEqual(first?.pieces);
    // Pieces small enough that each hop of the chain adds little: 128 KiB here, not 256 KiB.
    expect(first?.pieces?.size).toBe(128 * 1024);
  });
});
