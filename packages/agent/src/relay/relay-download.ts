import { get as httpGet } from 'node:http';
import { get as httpsGet, type Agent } from 'node:https';
import {
  SIGNATURE_HEADER,
  signRequest,
  type ArtifactJob,
  type BlobSource,
  type Logger,
  type PieceIndex,
} from '@modfleet/common';
import type { CoordinatorPool } from '../fleet/coordinator-pool.js';
import { fetchPieces, type FetchedBlob } from './piece-fetcher.js';
import type { LocalBlobs } from './local-blobs.js';
import type { TransferRegistry } from './transfer-registry.js';

/** What an agent needs to pull from peers and serve them. */
export interface Relay {
  clusterSecret: string;
  /** Every coordinator holds every blob: a path source (the origin) is tried on each of them. */
  coordinators: CoordinatorPool;
  transfers: TransferRegistry;
  blobs: LocalBlobs;
  logger: Logger;
  stallMs?: number;
  /** Verifies the coordinator's and peers' certificates against the cluster CA (https URLs). */
  httpsAgent?: Agent | undefined;
}

function getJson(url: string, headers: Record<string, string>, agent: Agent | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onAnswer = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`piece list answered ${res.statusCode}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
    };
    const request = url.startsWith('https:')
      ? httpsGet(url, { headers, ...(agent && { agent }) }, onAnswer)
      : httpGet(url, { headers }, onAnswer);
    request.setTimeout(30_000, () => request.destroy(new Error('piece list request stalled')));
    request.on('error', reject);
  });
}

/** A source given as a path (the origin) becomes one source per coordinator, the one that answered last first. */
export function onEveryCoordinator(sources: readonly BlobSource[], coordinators: CoordinatorPool): BlobSource[] {
  return sources.flatMap(source =>
    source.url.startsWith('/')
      ? coordinators.urls().map(base => ({ id: source.id, url: new URL(source.url, base).toString() }))
      : [source],
  );
}

/** Relayed jobs carry pieces and sources; older payloads (or none planned) return undefined: fetch the plain way. */
export async function relayFetch(
  relay: Relay,
  job: ArtifactJob,
  tempDir: string,
  onBytes: (total: number) => void,
): Promise<(FetchedBlob & { index: PieceIndex }) | undefined> {
  const { pieces, sources, sha256, size } = job;
  if (!pieces || !sources || sources.length === 0 || !sha256 || size === undefined || size === 0) return undefined;
  const resolveUrl = (url: string) => new URL(url, relay.coordinators.urls()[0]).toString();
  let hashes = pieces.hashes;
  if (!hashes) {
    const path = pieces.list_url!;
    const list = (await relay.coordinators.attempt(
      base =>
        getJson(
          new URL(path, base).toString(),
          { [SIGNATURE_HEADER]: signRequest(relay.clusterSecret, 'GET', new URL(path, base).pathname) },
          relay.httpsAgent,
        ),
      () => true,
    )) as PieceIndex;
    if (list.sha256 !== sha256 || list.piece_size !== pieces.size || list.pieces.length !== pieces.count)
      throw new Error('the piece list does not describe this artifact');
    hashes = list.pieces;
  }
  const fetched = await fetchPieces(
    { sha256, size, pieceSize: pieces.size, hashes, sources: onEveryCoordinator(sources, relay.coordinators), tempDir },
    {
      clusterSecret: relay.clusterSecret,
      resolveUrl,
      transfers: relay.transfers,
      logger: relay.logger,
      httpsAgent: relay.httpsAgent,
      onBytes,
      ...(relay.stallMs !== undefined && { stallMs: relay.stallMs }),
    },
  );
  return { ...fetched, index: { sha256, size, piece_size: pieces.size, pieces: hashes } };
}
