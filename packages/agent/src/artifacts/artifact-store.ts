import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  artifactKey,
  dependencyNamesOf,
  fsyncDir,
  NotAcceptableError,
  NotFoundError,
  renameDurable,
  writeFileDurable,
  type HashedUpload,
  type InspectedArtifact,
  type LoadCheck,
  type Logger,
} from '@modfleet/common';
import type { StoredArtifact } from './artifact-types.js';

export interface InstallResult {
  artifact: StoredArtifact;
  /** false when identical bytes were already installed (an idempotent re-upload). */
  created: boolean;
}

export interface ArtifactStore {
  /** Folder for uploads in progress, on the same filesystem as the artifacts. */
  readonly tempDir: string;
  list(): StoredArtifact[];
  get(moduleName: string, version: number): StoredArtifact | undefined;
  /** Where an installed artifact's zip lies on disk (for re-hashing it); the file may have vanished since. */
  zipPath(moduleName: string, version: number): string;
  /** Moves a verified upload into place. The upload file is consumed either way. */
  install(upload: HashedUpload, inspected: InspectedArtifact, loadCheck?: LoadCheck): Promise<InstallResult>;
  remove(moduleName: string, version: number): Promise<void>;
}

const ZIP_NAME = 'module.zip';
const META_NAME = 'artifact.json';

/** Where an installed artifact's zip lives (the relay serves it to peers from there). */
export const artifactZipPath = (dataDir: string, moduleName: string, version: number) =>
  join(dataDir, 'artifacts', artifactKey(moduleName, version), ZIP_NAME);

/**
 * Artifacts live in `<dataDir>/artifacts/<name>@<version>/`, each folder built complete in
 * `<dataDir>/tmp/` and renamed into place: a folder either holds a whole artifact or does not
 * exist, and rename's refusal to replace a non-empty folder picks one winner among
 * concurrent uploads of the same name and version.
 */
export async function openDiskArtifactStore(
  dataDir: string,
  logger: Logger,
  /** Told after every install and delete, e.g. to report the node's inventory. */
  onChange: () => void = () => undefined,
): Promise<ArtifactStore> {
  const artifactsDir = join(dataDir, 'artifacts');
  const tempDir = join(dataDir, 'tmp');
  await mkdir(artifactsDir, { recursive: true });
  // Whatever is in tmp/ was abandoned by a crash: no artifact is ever visible from there.
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir, { recursive: true });

  const index = new Map<string, StoredArtifact>();
  for (const folder of await readdir(artifactsDir)) {
    const artifact = await readMeta(join(artifactsDir, folder));
    if (artifact && artifactKey(artifact.module_name, artifact.version) === folder) {
      index.set(folder, artifact);
    } else {
      // Not ours or not whole: move it aside so it can never block an upload of that name and version.
      logger.warn({ folder }, 'removing a folder that is not a complete artifact');
      await rm(join(artifactsDir, folder), { recursive: true, force: true });
    }
  }
  logger.info({ artifacts: index.size, dataDir }, 'artifact store opened');

  async function install(
    upload: HashedUpload,
    { manifest, moduleFile }: InspectedArtifact,
    loadCheck?: LoadCheck,
  ): Promise<InstallResult> {
    const key = artifactKey(manifest.module_name, manifest.version);
    const staging = join(tempDir, `stage-${randomUUID()}`);
    const artifact: StoredArtifact = {
      module_name: manifest.module_name,
      version: manifest.version,
      dependencies: dependencyNamesOf(manifest.dependencies),
      semantic_version: manifest.semantic_version,
      sha256: upload.sha256,
      size: upload.size,
      module_file: moduleFile,
      installed_at: new Date().toISOString(),
      manifest,
      ...(loadCheck && { load_check: loadCheck }),
    };
    try {
      await mkdir(staging);
      // The zip was fsynced as it was received; the metadata is, and then the folder holding both.
      await rename(upload.path, join(staging, ZIP_NAME));
      await writeFileDurable(join(staging, META_NAME), JSON.stringify(artifact, null, 2));
      await fsyncDir(staging);
      try {
        await renameDurable(staging, join(artifactsDir, key));
      } catch (err) {
        if (!isAlreadyThere(err)) throw err;
        return { artifact: await existingMustMatch(key, upload.sha256), created: false };
      }
      index.set(key, artifact);
      onChange();
      logger.info(
        { module_name: artifact.module_name, version: artifact.version, sha256: artifact.sha256, bytes: artifact.size },
        'artifact installed',
      );
      return { artifact, created: true };
    } finally {
      await rm(staging, { recursive: true, force: true });
      await rm(upload.path, { force: true });
    }
  }

  async function existingMustMatch(key: string, sha256: string): Promise<StoredArtifact> {
    const existing = index.get(key) ?? (await readMeta(join(artifactsDir, key)));
    if (!existing) throw new Error(`artifact folder ${key} exists without metadata`);
    if (existing.sha256 !== sha256) {
      throw new NotAcceptableError(
        'module_exists',
        `${existing.module_name} version ${existing.version} is already installed with different content (sha256 ${existing.sha256}); delete it first or upload a new version`,
      );
    }
    return existing;
  }

  async function remove(moduleName: string, version: number): Promise<void> {
    const key = artifactKey(moduleName, version);
    const trash = join(tempDir, `trash-${randomUUID()}`);
    try {
      await rename(join(artifactsDir, key), trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(
          'module_artifact_not_found',
          `No artifact ${moduleName} version ${version} on this node`,
        );
      }
      throw err;
    }
    // A delete answered 200 stays deleted after a power cut.
    await fsyncDir(artifactsDir);
    index.delete(key);
    onChange();
    await rm(trash, { recursive: true, force: true });
    logger.info({ module_name: moduleName, version }, 'artifact deleted');
  }

  return {
    tempDir,
    list: () => [...index.values()].sort((a, b) => a.module_name.localeCompare(b.module_name) || a.version - b.version),
    get: (moduleName, version) => index.get(artifactKey(moduleName, version)),
    zipPath: (moduleName, version) => join(artifactsDir, artifactKey(moduleName, version), ZIP_NAME),
    install,
    remove,
  };
}

function isAlreadyThere(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

async function readMeta(folder: string): Promise<StoredArtifact | undefined> {
  try {
    return JSON.parse(await readFile(join(folder, META_NAME), 'utf8')) as StoredArtifact;
  } catch {
    return undefined;
  }
}
