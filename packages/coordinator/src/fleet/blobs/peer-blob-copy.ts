import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { rm } from 'node:fs/promises';
import {
  pathTo,
  routes,
  SIGNATURE_HEADER,
  signRequest,
  writeHashedTempFile,
  type HashedUpload,
} from '@modfleet/common';
import type { BlobStore } from './blob-store.js';

/** A GET with this header is answered from the coordinator's own disk only: a peer asking never starts a pull of its own. */
export const LOCAL_ONLY_HEADER = 'x-modfleet-local-only';
/** No bytes either way for this long: the peer is treated as gone. */
const IDLE_TIMEOUT_MS = 15_000;

function call(
  httpsAgent: Agent | undefined,
  method: string,
  url: string,
  headers: Record<string, string>,
  send?: (req: NodeJS.WritableStream) => void,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = url.startsWith('https:')
      ? httpsRequest(url, { method, headers, ...(httpsAgent && { agent: httpsAgent }) }, resolve)
      : httpRequest(url, { method, headers }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(new Error(`${method} ${url}: no bytes for ${IDLE_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    if (send) send(req);
    else req.end();
  });
}

/** Coordinator-to-coordinator copies of blobs, over the blob route, signed with the cluster secret. */
export interface PeerBlobCopy {
  /** Sends a stored blob to `peerUrl`, which checks its sha256 before keeping it. */
  send(peerUrl: string, sha256: string): Promise<void>;
  /** Fetches a blob `peerUrl` holds into `tempDir`, verified against its sha256. */
  fetch(peerUrl: string, sha256: string, tempDir: string): Promise<HashedUpload | undefined>;
  remove(peerUrl: string, sha256: string): Promise<void>;
}

/** `httpsAgent`: trusts the cluster CA, for peers serving certificates it signed. */
export function createPeerBlobCopy(local: BlobStore, clusterSecret: string, httpsAgent?: Agent): PeerBlobCopy {
  const signed = (method: string, path: string) => ({ [SIGNATURE_HEADER]: signRequest(clusterSecret, method, path) });
  return {
    async send(peerUrl, sha256) {
      const path = pathTo(routes.blob, { sha256 });
      const blob = await local.open(sha256);
      if (!blob) throw new Error(`blob ${sha256} is not on this coordinator`);
      const res = await call(
        httpsAgent,
        'PUT',
        new URL(path, peerUrl).toString(),
        { ...signed('PUT', path), 'content-type': 'application/zip', 'content-length': String(blob.size) },
        req => blob.stream.pipe(req),
      ).finally(() => blob.stream.destroy());
      res.resume();
      if (res.statusCode !== 204) throw new Error(`${peerUrl} answered ${res.statusCode} to a blob copy`);
    },
    async fetch(peerUrl, sha256, tempDir) {
      const path = pathTo(routes.blob, { sha256 });
      const res = await call(httpsAgent, 'GET', new URL(path, peerUrl).toString(), {
        ...signed('GET', path),
        [LOCAL_ONLY_HEADER]: '1',
      });
      if (res.statusCode !== 200) {
        res.resume();
        return undefined;
      }
      const upload = await writeHashedTempFile(res, tempDir);
      if (upload.sha256 === sha256) return upload;
      await rm(upload.path, { force: true });
      throw new Error(`${peerUrl} sent bytes with sha256 ${upload.sha256} for blob ${sha256}`);
    },
    async remove(peerUrl, sha256) {
      const path = pathTo(routes.blob, { sha256 });
      const res = await call(httpsAgent, 'DELETE', new URL(path, peerUrl).toString(), signed('DELETE', path));
      res.resume();
    },
  };
}
