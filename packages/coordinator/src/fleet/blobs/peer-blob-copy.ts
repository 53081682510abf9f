import { rm } from 'node:fs/promises';
import {
  ClusterHttpError,
  pathTo,
  routes,
  sharedClusterHttpClient,
  type ClusterHttpClient,
  type HashedUpload,
} from '@modfleet/common';
import type { BlobStore } from './blob-store.js';

/** A GET with this header is answered from the coordinator's own disk only: a peer asking never starts a pull of its own. */
export const LOCAL_ONLY_HEADER = 'x-modfleet-local-only';
/** No bytes either way for this long: the peer is treated as gone. */
const IDLE_TIMEOUT_MS = 15_000;

/** Coordinator-to-coordinator copies of blobs, over the blob route, signed with the cluster secret. */
export interface PeerBlobCopy {
  /** Sends a stored blob to `peerUrl`, which checks its sha256 before keeping it. */
  send(peerUrl: string, sha256: string): Promise<void>;
  /** Fetches a blob `peerUrl` holds into `tempDir`, verified against its sha256. */
  fetch(peerUrl: string, sha256: string, tempDir: string): Promise<HashedUpload | undefined>;
  remove(peerUrl: string, sha256: string): Promise<void>;
}

/** `http`: the cluster client, trusting the cluster CA for peers serving certificates it signed. */
export function createPeerBlobCopy(
  local: BlobStore,
  clusterSecret: string,
  http: ClusterHttpClient = sharedClusterHttpClient(),
): PeerBlobCopy {
  const blobUrl = (peerUrl: string, sha256: string) => new URL(pathTo(routes.blob, { sha256 }), peerUrl).toString();
  return {
    async send(peerUrl, sha256) {
      const blob = await local.open(sha256);
      if (!blob) throw new Error(`blob ${sha256} is not on this coordinator`);
      const answer = await http
        .request(blobUrl(peerUrl, sha256), {
          what: `blob copy to ${peerUrl}`,
          method: 'PUT',
          clusterSecret,
          headers: { 'content-type': 'application/zip', 'content-length': String(blob.size) },
          body: blob.stream,
          idleTimeoutMs: IDLE_TIMEOUT_MS,
        })
        .finally(() => blob.stream.destroy());
      answer.body.resume();
      if (answer.status !== 204) throw new Error(`${peerUrl} answered ${answer.status} to a blob copy`);
    },
    async fetch(peerUrl, sha256, tempDir) {
      const upload = await http
        .downloadToFile(blobUrl(peerUrl, sha256), tempDir, {
          what: `blob fetch from ${peerUrl}`,
          clusterSecret,
          headers: { [LOCAL_ONLY_HEADER]: '1' },
          idleTimeoutMs: IDLE_TIMEOUT_MS,
        })
        .catch((err: unknown) => {
          // The peer does not hold it (or will not give it): the caller asks the next one.
          if (err instanceof ClusterHttpError) return undefined;
          throw err;
        });
      if (!upload || upload.sha256 === sha256) return upload;
      await rm(upload.path, { force: true });
      throw new Error(`${peerUrl} sent bytes with sha256 ${upload.sha256} for blob ${sha256}`);
    },
    async remove(peerUrl, sha256) {
      const answer = await http.request(blobUrl(peerUrl, sha256), {
        what: `blob removal on ${peerUrl}`,
        method: 'DELETE',
        clusterSecret,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
      });
      answer.body.resume();
    },
  };
}
