import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ArtifactStore } from './artifact-store.js';
import type { StoredArtifact } from './artifact-types.js';
import type { DiskCheck, InventoryEntry, NodeInventory } from '@modfleet/common';

/** Large sequential reads; each chunk is hashed between reads, so other requests keep being served. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** sha256 and size of a file, streamed: memory stays at one chunk whatever the file's size. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    size += buffer.length;
  }
  return { sha256: hash.digest('hex'), size };
}

function toEntry(artifact: StoredArtifact): InventoryEntry {
  return {
    module_name: artifact.module_name,
    version: artifact.version,
    dependencies: artifact.dependencies,
    semantic_version: artifact.semantic_version,
    sha256: artifact.sha256,
    size: artifact.size,
    installed_at: artifact.installed_at,
    ...(artifact.load_check && { load_check: artifact.load_check }),
  };
}

async function checkOnDisk(store: ArtifactStore, artifact: StoredArtifact): Promise<DiskCheck> {
  try {
    const found = await hashFile(store.zipPath(artifact.module_name, artifact.version));
    const same = found.sha256 === artifact.sha256 && found.size === artifact.size;
    return { status: same ? 'ok' : 'corrupt', ...found };
  } catch (err) {
    return { status: 'unreadable', error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/**
 * What this node holds. With `deep`, every zip is re-read and re-hashed, one after the other
 * (a deep check is disk-bound; running them side by side would only make the disk seek).
 */
export async function nodeInventory(
  store: ArtifactStore,
  nodeUid: number | undefined,
  deep: boolean,
): Promise<NodeInventory> {
  const artifacts: InventoryEntry[] = [];
  for (const artifact of store.list()) {
    if (!deep) {
      artifacts.push(toEntry(artifact));
      continue;
    }
    const disk = await checkOnDisk(store, artifact);
    // Deleted (or replaced) while we were reading: not this artifact's bytes going bad.
    if (store.get(artifact.module_name, artifact.version)?.installed_at !== artifact.installed_at) continue;
    artifacts.push({ ...toEntry(artifact), disk });
  }
  return { node_uid: nodeUid ?? null, deep, checked_at: new Date().toISOString(), artifacts };
}
