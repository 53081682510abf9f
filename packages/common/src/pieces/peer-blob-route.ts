/**
 * The agent's peer route: other agents fetch a verified artifact here by its sha256, with a
 * request signed by the cluster secret (never open). Kept apart so it can join the shared HTTP
 * contract module with the other route constants.
 */
export const PEER_BLOB_ROUTE = '/internal/peer/blobs/:sha256';
export const peerBlobPath = (sha256: string) => `/internal/peer/blobs/${sha256}`;

/** The coordinator's piece list of one blob (for artifacts whose list is too long for a job payload). */
export const BLOB_PIECES_ROUTE = '/internal/blobs/:sha256/pieces';
export const blobPiecesPath = (sha256: string) => `/internal/blobs/${sha256}/pieces`;

/** Origin is the coordinator; a peer is `node:<uid>`. */
export const ORIGIN_SOURCE = 'origin';
export const peerSourceId = (nodeUid: number) => `node:${nodeUid}`;
