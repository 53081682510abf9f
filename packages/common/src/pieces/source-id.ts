/** Where an install's bytes come from: origin is the coordinator; a peer is `node:<uid>`. */
export const ORIGIN_SOURCE = 'origin';
export const peerSourceId = (nodeUid: number) => `node:${nodeUid}`;
