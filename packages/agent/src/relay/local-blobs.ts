import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
 * once its whole sha256 matched (at install, or re-hashed on first request); every piece is
 * hashed again as it is served, and a copy that fails is dropped until its file changes again.
 */
export async function openLocalBlobs(deps: {
  dataDir: string;
  store: Pick<ArtifactStore, 'list'>;
  logger: Logger;
}): Promise<LocalBlobs> {
  const { dataDir, store, logger } = deps;
  const dir = join(dataDir, 'relay');
  await mkdir(dir, { recursive: true });
  const indexFile = (sha256: string) => join(dir, `${sha256}.pieces.json`);
  const trusted = new Map<string, PieceIndex>();
  /** sha256 → `<size>:<mtime>` of a file that failed verification. */
  const rejected = new Map<string, string>();

  const zipOf = (sha256: string) => {
    const artifact = store.list().find(a => a.sha256 === sha256);
    return artifact && artifactZipPath(dataDir, artifact.module_name, artifact.version);
  };

  async function readIndex(sha256: string): Promise<PieceIndex | undefined> {
    try {
      const index = JSON.parse(await readFile(indexFile(sha256), 'utf8')) as PieceIndex;
      return index.sha256 === sha256 ? index : undefined;
    } catch {
      return undefined;
    }
  }

  async function writeIndex(index: PieceIndex): Promise<void> {
    const temp = `${indexFile(index.sha256)}.tmp`;
    await writeFile(temp, JSON.stringify(index));
    await rename(temp, indexFile(index.sha256));
  }

  return {
    async find(sha256) {
      const path = zipOf(sha256);
      if (!path) return undefined;
      const known = trusted.get(sha256) ?? (await readIndex(sha256));
      if (known) {
        trusted.set(sha256, known);
        return { path, index: known };
      }
      const stamp = await stat(path).then(
        s => `${s.size}:${s.mtimeMs}`,
        () => undefined,
      );
      if (!stamp || rejected.get(sha256) === stamp) return undefined;
      const index = await hashPieces(createReadStream(path, { highWaterMark: 1024 * 1024 }), PIECE_SIZE);
      if (index.sha256 !== sha256) {
        rejected.set(sha256, stamp);
        logger.warn({ sha256, on_disk: index.sha256, path }, 'local copy does not match its sha256: not serving it');
        return undefined;
      }
      rejected.delete(sha256);
      trusted.set(sha256, index);
      await writeIndex(index).catch((err: unknown) => logger.warn({ err }, 'could not keep a piece list'));
      return { path, index };
    },
    async remember(index) {
      rejected.delete(index.sha256);
      trusted.set(index.sha256, index);
      await writeIndex(index);
    },
    async distrust(sha256) {
      trusted.delete(sha256);
      await rm(indexFile(sha256), { force: true });
      const path = zipOf(sha256);
      const stamp =
        path &&
        (await stat(path).then(
          s => `${s.size}:${s.mtimeMs}`,
          () => undefined,
        ));
      if (stamp) rejected.set(sha256, stamp);
    },
  };
}
