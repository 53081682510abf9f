import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, inspectArtifact, type HashedUpload, type InspectedArtifact } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip, validManifest, type ArtifactZipOptions } from '../../../../test/helpers/artifact-zip.js';
import { makeTmpDir, removeDir } from '../../../../test/helpers/tmp-dir.js';
import { openDiskArtifactStore, type ArtifactStore } from './artifact-store.js';

const logger = createLogger({ name: 'artifact-store-test', level: 'silent' });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface PreparedUpload {
  upload: HashedUpload;
  inspected: InspectedArtifact;
  zip: Buffer;
}

describe('disk artifact store', () => {
  let dataDir: string;
  let store: ArtifactStore;
  beforeEach(async () => {
    dataDir = await makeTmpDir('artifact-store');
    store = await openDiskArtifactStore(dataDir, logger);
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  /** What the upload route hands the store: a hashed temp file in tempDir plus its inspection. */
  async function prepareUpload(options: ArtifactZipOptions | Buffer = {}): Promise<PreparedUpload> {
    const zip = Buffer.isBuffer(options) ? options : await buildArtifactZip(options);
    const path = join(store.tempDir, `upload-${randomUUID()}`);
    await writeFile(path, zip);
    return { upload: { path, size: zip.length, sha256: sha256(zip) }, inspected: await inspectArtifact(path), zip };
  }
  const artifactFolder = (name: string, version: number) => join(dataDir, 'artifacts', `${name}@${version}`);
  const tmpEntries = () => readdir(join(dataDir, 'tmp'));

  it('keeps uploads in progress in <dataDir>/tmp, next to <dataDir>/artifacts', async () => {
    const folders = await readdir(dataDir);

    expect(store.tempDir).toBe(join(dataDir, 'tmp'));
    expect(folders.sort()).toEqual(['artifacts', 'tmp']);
  });

  it('starts empty', () => {
    const listed = store.list();

    expect(listed).toEqual([]);
  });

  describe('install', () => {
    it('moves the upload into place, lists it and consumes the temp file', async () => {
      const { upload, inspected, zip } = await prepareUpload();

      const result = await store.install(upload, inspected);

      expect(result.created).toBe(true);
      expect(result.artifact).toMatchObject({
        module_name: 'TestModule',
        version: 123,
        dependencies: ['dep_1', 'dep_2'],
        semantic_version: '0.0.123',
        sha256: sha256(zip),
        size: zip.length,
        module_file: 'module.so',
        manifest: validManifest(),
      });
      expect(store.list()).toEqual([result.artifact]);
      expect(store.get('TestModule', 123)).toEqual(result.artifact);
      expect(await readFile(join(artifactFolder('TestModule', 123), 'module.zip'))).toEqual(zip);
      expect(await tmpEntries()).toEqual([]);
    });

    it('records no dependencies as an empty list', async () => {
      const { upload, inspected } = await prepareUpload({ manifest: { dependencies: undefined } });

      const { artifact } = await store.install(upload, inspected);

      expect(artifact.dependencies).toEqual([]);
    });

    it('treats identical bytes for an installed name and version as a no-op', async () => {
      const first = await prepareUpload();
      const installed = await store.install(first.upload, first.inspected);
      const again = await prepareUpload(first.zip);

      const result = await store.install(again.upload, again.inspected);

      expect(result.created).toBe(false);
      expect(result.artifact).toEqual(installed.artifact);
      expect(store.list()).toHaveLength(1);
      expect(await tmpEntries()).toEqual([]);
    });

    it('refuses other bytes for an installed name and version with 406 module_exists and keeps the original', async () => {
      const original = await prepareUpload();
      await store.install(original.upload, original.inspected);
      const other = await prepareUpload();

      const installing = store.install(other.upload, other.inspected);

      await expect(installing).rejects.toMatchObject({ status: 406, code: 'module_exists' });
      expect(store.get('TestModule', 123)?.sha256).toBe(sha256(original.zip));
      expect(await readFile(join(artifactFolder('TestModule', 123), 'module.zip'))).toEqual(original.zip);
      expect(await tmpEntries()).toEqual([]);
    });

    it('installs another version of the same module beside the first', async () => {
      const v1 = await prepareUpload({ manifest: { version: 1 } });
      const v2 = await prepareUpload({ manifest: { version: 2 } });

      await store.install(v2.upload, v2.inspected);
      await store.install(v1.upload, v1.inspected);

      expect(store.list().map(a => [a.module_name, a.version])).toEqual([
        ['TestModule', 1],
        ['TestModule', 2],
      ]);
    });

    it('lists artifacts sorted by module name, then version', async () => {
      for (const [name, version] of [
        ['zeta', 2],
        ['alpha', 10],
        ['zeta', 1],
        ['alpha', 9],
      ] as const) {
        const { upload, inspected } = await prepareUpload({ manifest: { module_name: name, version } });
        await store.install(upload, inspected);
      }

      const listed = store.list().map(a => `${a.module_name}@${a.version}`);

      expect(listed).toEqual(['alpha@9', 'alpha@10', 'zeta@1', 'zeta@2']);
    });

    it('picks exactly one winner among concurrent installs of different bytes', async () => {
      const uploads = await Promise.all(Array.from({ length: 8 }, () => prepareUpload()));

      const results = await Promise.allSettled(uploads.map(u => store.install(u.upload, u.inspected)));

      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const losers = results.flatMap(r => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(7);
      for (const reason of losers) expect(reason).toMatchObject({ status: 406, code: 'module_exists' });
      const winner = uploads[winners[0]!]!;
      expect(store.get('TestModule', 123)?.sha256).toBe(sha256(winner.zip));
      expect(await readFile(join(artifactFolder('TestModule', 123), 'module.zip'))).toEqual(winner.zip);
      expect(await tmpEntries()).toEqual([]);
    });
  });

  describe('remove', () => {
    it('deletes an installed artifact from the list and the disk', async () => {
      const { upload, inspected } = await prepareUpload();
      await store.install(upload, inspected);

      await store.remove('TestModule', 123);

      expect(store.list()).toEqual([]);
      expect(store.get('TestModule', 123)).toBeUndefined();
      expect(await readdir(join(dataDir, 'artifacts'))).toEqual([]);
      expect(await tmpEntries()).toEqual([]);
    });

    it('answers 404 for an artifact that is not installed', async () => {
      const removing = store.remove('TestModule', 123);

      await expect(removing).rejects.toMatchObject({ status: 404, code: 'module_artifact_not_found' });
    });

    it('lets other bytes be installed under the name and version after a delete', async () => {
      const first = await prepareUpload();
      await store.install(first.upload, first.inspected);
      await store.remove('TestModule', 123);
      const second = await prepareUpload();

      const result = await store.install(second.upload, second.inspected);

      expect(result.created).toBe(true);
      expect(store.get('TestModule', 123)?.sha256).toBe(sha256(second.zip));
    });
  });

  describe('open', () => {
    it('finds the artifacts installed before a restart', async () => {
      const { upload, inspected } = await prepareUpload();
      const { artifact } = await store.install(upload, inspected);

      const reopened = await openDiskArtifactStore(dataDir, logger);

      expect(reopened.list()).toEqual([artifact]);
    });

    it('empties tmp of files and folders a crash left behind', async () => {
      await writeFile(join(dataDir, 'tmp', 'upload-leftover'), 'half an upload');
      await mkdir(join(dataDir, 'tmp', 'stage-leftover'));
      await writeFile(join(dataDir, 'tmp', 'stage-leftover', 'module.zip'), 'x');

      await openDiskArtifactStore(dataDir, logger);

      expect(await tmpEntries()).toEqual([]);
    });

    it('does not list a folder without artifact.json', async () => {
      await mkdir(artifactFolder('Broken', 1));
      await writeFile(join(artifactFolder('Broken', 1), 'module.zip'), 'incomplete');

      const reopened = await openDiskArtifactStore(dataDir, logger);

      expect(reopened.list()).toEqual([]);
      expect(reopened.get('Broken', 1)).toBeUndefined();
    });

    it('installs an upload over a folder it found without artifact.json, instead of failing', async () => {
      await mkdir(artifactFolder('TestModule', 123));
      await writeFile(join(artifactFolder('TestModule', 123), 'module.zip'), 'left by a crash');
      const reopened = await openDiskArtifactStore(dataDir, logger);
      store = reopened;
      const { upload, inspected, zip } = await prepareUpload();

      const result = await reopened.install(upload, inspected);

      expect(result.created).toBe(true);
      expect(reopened.get('TestModule', 123)?.sha256).toBe(sha256(zip));
    });

    it('does not list a folder whose name disagrees with its artifact.json', async () => {
      const { upload, inspected } = await prepareUpload();
      const { artifact } = await store.install(upload, inspected);
      await mkdir(artifactFolder('Other', 7));
      await writeFile(join(artifactFolder('Other', 7), 'artifact.json'), JSON.stringify(artifact));

      const reopened = await openDiskArtifactStore(dataDir, logger);

      expect(reopened.list()).toEqual([artifact]);
      expect(reopened.get('Other', 7)).toBeUndefined();
    });

    it('does not list a folder whose artifact.json is not valid JSON', async () => {
      await mkdir(artifactFolder('Garbled', 1));
      await writeFile(join(artifactFolder('Garbled', 1), 'artifact.json'), '{"module_name":');

      const reopened = await openDiskArtifactStore(dataDir, logger);

      expect(reopened.list()).toEqual([]);
    });
  });
});
