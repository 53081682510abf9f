import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeBlobStore } from './fake-blob-store.js';
import type { PeerBlobCopy } from './peer-blob-copy.js';
import { replicatedBlobStore } from './replicated-blob-store.js';

const BYTES = Buffer.from('an artifact');
const SHA = createHash('sha256').update(BYTES).digest('hex');
const logger = createLogger({ name: 'test', level: 'silent' });

/** Peers as maps of the blobs they hold; `down` ones refuse every call. */
function fakePeers(dir: string, peers: Record<string, Map<string, Buffer>>, down = new Set<string>()) {
  const sent: string[] = [];
  const copy: PeerBlobCopy = {
    send(peer, sha256) {
      if (down.has(peer)) return Promise.reject(new Error('connection refused'));
      sent.push(peer);
      peers[peer]!.set(sha256, BYTES);
      return Promise.resolve();
    },
    async fetch(peer, sha256) {
      if (down.has(peer)) throw new Error('connection refused');
      const bytes = peers[peer]!.get(sha256);
      if (!bytes) return undefined;
      const path = join(dir, `fetched-${peer}`);
      await writeFile(path, bytes);
      return { path, size: bytes.length, sha256 };
    },
    remove(peer, sha256) {
      peers[peer]!.delete(sha256);
      return Promise.resolve();
    },
  };
  return { copy, sent };
}

describe('replicatedBlobStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modfleet-replicated-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const upload = async () => {
    const path = join(dir, 'upload');
    await writeFile(path, BYTES);
    return { path, size: BYTES.length, sha256: SHA };
  };

  it('alone on its prefix, keeps the blob locally and copies nothing', async () => {
    const local = createFakeBlobStore(dir);
    const { copy, sent } = fakePeers(dir, {});
    const store = replicatedBlobStore({ local, copy, peers: () => Promise.resolve([]), logger });

    await store.put(await upload());

    expect(local.held.get(SHA)).toEqual(BYTES);
    expect(sent).toEqual([]);
  });

  it('returns from a put only once another coordinator holds the bytes, skipping one that is down', async () => {
    const b = new Map<string, Buffer>();
    const { copy } = fakePeers(dir, { a: new Map(), b }, new Set(['a']));
    const store = replicatedBlobStore({
      local: createFakeBlobStore(dir),
      copy,
      peers: () => Promise.resolve(['a', 'b']),
      logger,
    });

    await store.put(await upload());

    expect(b.get(SHA)).toEqual(BYTES);
  });

  it('still accepts a put when no peer takes the copy: this coordinator is then the only holder', async () => {
    const { copy } = fakePeers(dir, { a: new Map() }, new Set(['a']));
    const local = createFakeBlobStore(dir);
    const store = replicatedBlobStore({ local, copy, peers: () => Promise.resolve(['a']), logger });

    await store.put(await upload());

    expect(local.held.has(SHA)).toBe(true);
  });

  it('fetches a blob it missed from a peer on first use, and keeps it', async () => {
    const local = createFakeBlobStore(dir);
    const { copy } = fakePeers(dir, { a: new Map(), b: new Map([[SHA, BYTES]]) }, new Set(['a']));
    const store = replicatedBlobStore({ local, copy, peers: () => Promise.resolve(['a', 'b']), logger });

    expect(await store.size(SHA)).toBe(BYTES.length);
    expect(local.held.get(SHA)).toEqual(BYTES);
    expect(await store.size('0'.repeat(64))).toBeUndefined();
  });

  it('passes a removal on to its peers', async () => {
    const b = new Map([[SHA, BYTES]]);
    const local = createFakeBlobStore(dir);
    local.held.set(SHA, BYTES);
    const { copy } = fakePeers(dir, { b });
    const store = replicatedBlobStore({ local, copy, peers: () => Promise.resolve(['b']), logger });

    await store.remove(SHA);

    expect(local.held.has(SHA)).toBe(false);
    expect(b.has(SHA)).toBe(false);
  });
});
