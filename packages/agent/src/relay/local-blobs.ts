import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hashPieces, PIECE_SIZE, type Logger, type PieceIndex } from '@modfleet/common';
import { artifactZipPath, type ArtifactStore } from '../artifacts/artifact-store.js';

export interface HeldBlob {
  path: string;
  index: PieceIndex;
}

export interface LocalBlobs {
  /** A zip this node holds whose bytes were verified to hash to `sha256`; undefined otherwise. */
  find(sha256: string): Promise<HeldBlob | undefined>;
  /** Keeps the piece list of a just-installed, verified artifact so serving it needs no re-hash. */
  remember(index: PieceIndex): Promise<void>;
  /** A served piece did not match its hash: the copy drifted; stop trusting it. */
  distrust(sha256: string): Promise<void>;
}

/**
 * Finds the installed zips this node may serve to peers, by content hash only. A copy is trusted
 * once its whole sha256 matched (at install, or re-hashed on first request) and only while its
 * file's size and mtime stay as they were then; every piece is hashed again as it is served, and
 * a copy that fails is not served until its file changes again. Trust lives in memory: a
 * restarted agent re-hashes a copy once before serving it.
 */
export function openLocalBlobs(deps: {
  dataDir: string;
  store: Pick<ArtifactStore, 'list'>;
  logger: Logger;
}): LocalBlobs {
  const { dataDir, store, logger } = deps;
  /** sha256 → its piece list and the `<size>:<mtime>` of the file when it was verified. */
  const trusted = new Map<string, { index: PieceIndex; stamp: string }>();
  /** sha256 → `<size>:<mtime>` of a file that failed verification. */
  const rejected = new Map<string, string>();

  const stampOf = (path: string) =>
    stat(path).then(
      s => `${s.size}:${s.mtimeMs}`,
      () => undefined,
    );
  const zipOf = (sha256: string) => {
    const artifact = store.list().find(a => a.sha256 === sha256);
    return artifact && artifactZipPath(dataDir, artifact.module_name, artifact.version);
  };

  return {
    async find(sha256) {
      const path = zipOf(sha256);
      if (!path) return undefined;
      const stamp = await stampOf(path);
      if (!stamp || rejected.get(sha256) === stamp) return undefined;
      // A file touched since it was verified is hashed again before a single byte is served.
      const known = trusted.get(sha256);
      if (known?.stamp === stamp) return { path, index: known.index };
      const index = await hashPieces(createReadStream(path, { highWaterMark: 1024 * 1024 }), PIECE_SIZE);
      if (index.sha256 !== sha256) {
        trusted.delete(sha256);
        rejected.set(sha256, stamp);
        logger.warn({ sha256, on_disk: index.sha256, path }, 'local copy does not match its sha256: not serving it');
        return undefined;
      }
      rejected.delete(sha256);
      trusted.set(sha256, { index, stamp });
      return { path, index };
    },
    async remember(index) {
      const path = zipOf(index.sha256);
      const stamp = path && (await stampOf(path));
      if (!stamp) return;
      rejected.delete(index.sha256);
      trusted.set(index.sha256, { index, stamp });
    },
    async distrust(sha256) {
      trusted.delete(sha256);
      const path = zipOf(sha256);
      const stamp = path && (await stampOf(path));
      if (stamp) rejected.set(sha256, stamp);
    },
  };
}
