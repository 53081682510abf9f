import { rm } from 'node:fs/promises';
import type { Logger } from '@modfleet/common';
import type { BlobStore } from './blob-store.js';
import type { PeerBlobCopy } from './peer-blob-copy.js';

export interface ReplicationDeps {
  local: BlobStore;
  copy: PeerBlobCopy;
  /** Base URLs of the other live coordinators on this prefix (none: a lone coordinator). */
  peers: () => Promise<string[]>;
  logger: Logger;
}

/**
 * The blob store of a coordinator that may have peers on its Redis prefix. A put returns once a
 * second coordinator holds the verified bytes too, so a push answered 202 survives this process
 * dying right after; a blob missing here (pushed while this coordinator was away) is pulled from a
 * peer on first use; a removal is passed on. Alone on its prefix it is the local store plus one
 * Redis read per push.
 */
export function replicatedBlobStore({ local, copy, peers, logger }: ReplicationDeps): BlobStore {
  const pulling = new Map<string, Promise<boolean>>();

  async function replicate(sha256: string): Promise<void> {
    const others = await peers();
    if (others.length === 0) return;
    const copies = others.map(peer =>
      copy.send(peer, sha256).then(
        () => peer,
        (err: unknown) => {
          logger.warn({ err, peer, sha256 }, 'could not copy a blob to another coordinator');
          throw err;
        },
      ),
    );
    // One other holder is what a 202 needs; the rest finish in the background.
    const holder = await Promise.any(copies).catch(() => undefined);
    if (holder) logger.debug({ sha256, holder }, 'blob copied to another coordinator');
    else
      logger.warn(
        { sha256, peers: others },
        'no other coordinator took a copy of this blob: this one is its only holder',
      );
  }

  async function pull(sha256: string): Promise<boolean> {
    for (const peer of await peers()) {
      const upload = await copy.fetch(peer, sha256, local.tempDir).catch((err: unknown) => {
        logger.warn({ err, peer, sha256 }, 'could not fetch a blob from another coordinator');
        return undefined;
      });
      if (!upload) continue;
      try {
        await local.put(upload);
      } finally {
        await rm(upload.path, { force: true });
      }
      logger.info({ sha256, from: peer }, 'fetched a blob this coordinator missed from another coordinator');
      return true;
    }
    return false;
  }

  /** Concurrent misses of one blob share one pull. */
  async function ensureLocal(sha256: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return false;
    let pending = pulling.get(sha256);
    if (!pending) {
      pending = pull(sha256).finally(() => pulling.delete(sha256));
      pulling.set(sha256, pending);
    }
    return pending;
  }

  return {
    tempDir: local.tempDir,
    async put(upload) {
      await local.put(upload);
      await replicate(upload.sha256);
    },
    async open(sha256, range) {
      const opened = await local.open(sha256, range);
      if (opened || !(await ensureLocal(sha256))) return opened;
      return local.open(sha256, range);
    },
    async size(sha256) {
      const size = await local.size(sha256);
      if (size !== undefined || !(await ensureLocal(sha256))) return size;
      return local.size(sha256);
    },
    async remove(sha256) {
      await local.remove(sha256);
      const others = await peers().catch(() => []);
      await Promise.allSettled(others.map(peer => copy.remove(peer, sha256)));
    },
  };
}
