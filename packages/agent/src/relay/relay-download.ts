import {
  sharedClusterHttpClient,
  type ArtifactJob,
  type ClusterHttpClient,
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
  /** The cluster client, verifying the coordinator's and peers' certificates against the cluster CA (https URLs). */
  http?: ClusterHttpClient | undefined;
}

const PIECE_LIST_IDLE_TIMEOUT_MS = 30_000;

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
    const http = relay.http ?? sharedClusterHttpClient();
    const list = await relay.coordinators.attempt(
      base =>
        http.json<PieceIndex>(new URL(path, base).toString(), {
          what: 'piece list',
          clusterSecret: relay.clusterSecret,
          idleTimeoutMs: PIECE_LIST_IDLE_TIMEOUT_MS,
        }),
      () => true,
    );
    if (list.sha256 !== sha256 || list.piece_size !== pieces.size || list.pieces.length !== pieces.count)
      throw new Error('the piece list does not describe this artifact');
    hashes = list.pieces;
  }
  const fetched = await fetchPieces(
    {
      sha256,
      size,
      pieceSize: pieces.size,
      hashes,
      sources: onEveryCoordinator(sources, relay.coordinators),
      tempDir,
      verifyWhole: !pieces.hashes,
    },
    {
      clusterSecret: relay.clusterSecret,
      resolveUrl,
      transfers: relay.transfers,
      logger: relay.logger,
      http: relay.http,
      onBytes,
      ...(relay.stallMs !== undefined && { stallMs: relay.stallMs }),
    },
  );
  return { ...fetched, index: { sha256, size, piece_size: pieces.size, pieces: hashes } };
}
