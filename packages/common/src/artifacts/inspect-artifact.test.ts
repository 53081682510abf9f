import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildArtifactZip,
  validManifest,
  writeArtifactZip,
  type ArtifactZipOptions,
} from '../../../../test/helpers/artifact-zip.js';
import { RAMP_DEPENDENCY_SHA256, rampManifestText } from '../../../../test/helpers/ramp-manifest.js';
import { makeTmpDir, removeDir } from '../../../../test/helpers/tmp-dir.js';
import { entryNameProblem, inspectArtifact, MAX_ZIP_ENTRIES } from './inspect-artifact.js';

/**
 * yazl refuses to write unsafe entry names, so the zip is built with a placeholder of the same
 * length and the name is patched into the local header and the central directory afterwards.
 */
async function zipWithRawEntry(rawName: string, options: ArtifactZipOptions = {}): Promise<Buffer> {
  const placeholder = 'Q'.repeat(Buffer.byteLength(rawName));
  const zip = await buildArtifactZip({
    ...options,
    extraEntries: { ...options.extraEntries, [placeholder]: 'payload' },
  });
  const from = Buffer.from(placeholder);
  const to = Buffer.from(rawName);
  let at = zip.indexOf(from);
  let patched = 0;
  while (at !== -1) {
    to.copy(zip, at);
    patched += 1;
    at = zip.indexOf(from, at + to.length);
  }
  if (patched !== 2) throw new Error(`expected 2 copies of the entry name, patched ${patched}`);
  return zip;
}

describe('inspectArtifact', () => {
  let dir: string;
  let zipPath: string;
  beforeEach(async () => {
    dir = await makeTmpDir('inspect-artifact');
    zipPath = join(dir, 'artifact.zip');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  const writeZip = (options: ArtifactZipOptions = {}) => writeArtifactZip(zipPath, options);
  const writeRaw = (bytes: Buffer) => writeFile(zipPath, bytes);
  const invalidModule = { status: 406, code: 'invalid_module' };
  /** The refusal, with a description that contains `text` (a field name, or a pattern). */
  const invalidModuleSaying = (text: string | RegExp) => ({
    ...invalidModule,
    message: (typeof text === 'string' ? expect.stringContaining(text) : expect.stringMatching(text)) as string,
  });

  describe('accepts', () => {
    it('returns the manifest and the name of the single .so of a valid artifact', async () => {
      await writeZip();

      const inspected = await inspectArtifact(zipPath);

      expect(inspected).toEqual({
        manifest: validManifest(),
        moduleFile: 'module.so',
        entries: ['module.json', 'module.so'],
      });
    });

    it('reports the .so under whatever name the zip gives it', async () => {
      await writeZip({ soName: 'redisbloom.so' });

      const inspected = await inspectArtifact(zipPath);

      expect(inspected.moduleFile).toBe('redisbloom.so');
    });

    it('keeps extra module.json metadata such as author and license', async () => {
      await writeZip({ manifest: { author: 'Redis', license: 'MIT', display_name: 'Test module' } });

      const { manifest } = await inspectArtifact(zipPath);

      expect(manifest).toMatchObject({ author: 'Redis', license: 'MIT', display_name: 'Test module' });
    });

    it('accepts a manifest without dependencies (the field is optional)', async () => {
      await writeZip({ manifest: { dependencies: undefined } });

      const { manifest } = await inspectArtifact(zipPath);

      expect(manifest.dependencies).toBeUndefined();
    });

    it('accepts a zip packed by RAMP, keeping its dependencies with url and sha256 and its other keys', async () => {
      await writeZip({ manifestText: rampManifestText(), soName: 'rampmod.so' });

      const { manifest, moduleFile } = await inspectArtifact(zipPath);

      expect(moduleFile).toBe('rampmod.so');
      expect(manifest).toMatchObject({
        module_name: 'RampMod',
        version: 10203,
        dependencies: { gears: { url: 'http://example.invalid/gears.zip', sha256: RAMP_DEPENDENCY_SHA256 } },
        module_file: 'rampmod.so',
        architecture: 'x86_64',
        os: 'Linux',
        ramp_format_version: 1,
        min_redis_pack_version: '6.0.8',
        exclude_commands: ['ramp.debug'],
      });
    });

    it.each([
      ['none, as an empty list', []],
      ['a list of {name, url, sha256}', [{ name: 'gears', url: 'http://x/g.zip', sha256: RAMP_DEPENDENCY_SHA256 }]],
      ['names without a source', { gears: {} }],
    ])('accepts RAMP dependencies given as %s', async (_label, dependencies) => {
      await writeZip({ manifest: { dependencies } });

      const { manifest } = await inspectArtifact(zipPath);

      expect(manifest.dependencies).toEqual(dependencies);
    });

    it('accepts a module_name of exactly 64 characters from the allowed set', async () => {
      const name = `A-b_c.${'x'.repeat(58)}`;
      await writeZip({ manifest: { module_name: name } });

      const { manifest } = await inspectArtifact(zipPath);

      expect(manifest.module_name).toBe(name);
    });

    it('accepts version 0', async () => {
      await writeZip({ manifest: { version: 0 } });

      const { manifest } = await inspectArtifact(zipPath);

      expect(manifest.version).toBe(0);
    });
  });

  describe('refuses with 400 bad_artifact', () => {
    it('bytes that are not a zip', async () => {
      await writeRaw(randomBytes(2048));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject({ status: 400, code: 'bad_artifact' });
    });

    it('an empty file', async () => {
      await writeRaw(Buffer.alloc(0));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject({ status: 400, code: 'bad_artifact' });
    });

    it('a zip cut off before its central directory', async () => {
      const zip = await buildArtifactZip();
      await writeRaw(zip.subarray(0, Math.floor(zip.length / 2)));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject({ status: 400, code: 'bad_artifact' });
    });

    it('a zip whose module.json local header is broken (found by the route fuzzer: it was a 500)', async () => {
      const zip = await buildArtifactZip();
      // module.json comes first: a wrong local header signature, then an unknown compression
      // method in its central directory record (yauzl reads both only when opening the entry).
      const badSignature = Buffer.from(zip);
      badSignature[0] = 0xff;
      const badMethod = Buffer.from(zip);
      badMethod.writeUInt16LE(247, badMethod.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);

      for (const bytes of [badSignature, badMethod]) {
        await writeRaw(bytes);
        await expect(inspectArtifact(zipPath)).rejects.toMatchObject({ status: 400, code: 'bad_artifact' });
      }
    });
  });

  describe('refuses with 406 invalid_module', () => {
    it('a zip without module.json', async () => {
      await writeZip({ withoutManifest: true });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/module\.json missing/));
    });

    it('module.json that is not at the root of the zip', async () => {
      await writeZip({ withoutManifest: true, extraEntries: { 'meta/module.json': JSON.stringify(validManifest()) } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModule);
    });

    it('module.json that is not valid JSON', async () => {
      await writeZip({ manifestText: '{"module_name": "TestModule",' });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/not valid JSON/));
    });

    it('module.json that is JSON but not an object', async () => {
      await writeZip({ manifestText: '[1, 2, 3]' });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModule);
    });

    it.each(['module_name', 'version', 'semantic_version', 'min_redis_version', 'commands', 'capabilities'])(
      'module.json without the required field %s, naming the field',
      async field => {
        await writeZip({ manifest: { [field]: undefined } });

        const inspecting = inspectArtifact(zipPath);

        await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(field));
      },
    );

    it.each([
      ['a fraction', 1.5],
      ['a numeric string', '123'],
      ['negative', -1],
      ['beyond a 32-bit integer', 2 ** 31],
    ])('a version that is %s', async (_label, version) => {
      await writeZip({ manifest: { version } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying('version'));
    });

    it.each([
      ['a parent path', '../x'],
      ['a path with a slash', 'a/b'],
      ['65 characters', 'm'.repeat(65)],
      ['only dots', '..'],
      ['a single dot', '.'],
      ['empty', ''],
      ['a space', 'my module'],
      ['not a string', 42],
    ])('a module_name that is %s', async (_label, moduleName) => {
      await writeZip({ manifest: { module_name: moduleName } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying('module_name'));
    });

    it('dependencies that are not an array of strings', async () => {
      await writeZip({ manifest: { dependencies: 'dep_1' } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying('dependencies'));
    });

    it.each([
      ['not hex', { gears: { sha256: 'z'.repeat(64) } }, 'dependencies.gears.sha256'],
      ['too short', { gears: { sha256: 'abc123' } }, 'dependencies.gears.sha256'],
      ['not a string', { gears: { sha256: 12 } }, 'dependencies.gears.sha256'],
      ['in a list entry', [{ name: 'gears', sha256: 'nope' }], 'dependencies.0.sha256'],
    ])('a dependency whose sha256 is %s, naming the field', async (_label, dependencies, field) => {
      await writeZip({ manifest: { dependencies } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(`${field}: sha256 must be`));
    });

    it('a zip without a .so', async () => {
      await writeZip({ so: false });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/found 0/));
    });

    it('a zip with more entries than any module needs, before reading them', async () => {
      const extraEntries = Object.fromEntries(Array.from({ length: MAX_ZIP_ENTRIES }, (_u, i) => [`f${i}.txt`, '']));
      await writeZip({ extraEntries });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(`at most ${MAX_ZIP_ENTRIES}`));
    }, 30_000);

    it('a zip with two .so files', async () => {
      await writeZip({ extraEntries: { 'other.so': randomBytes(64) } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/found 2/));
    });

    it('a zip with a nested folder', async () => {
      await writeZip({ extraEntries: { 'lib/helper.txt': 'x' } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/folders are not allowed/));
    });

    it('a zip whose .so sits in a folder', async () => {
      await writeZip({ so: false, extraEntries: { 'bin/module.so': randomBytes(64) } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModule);
    });

    it('a zip whose entry escapes the folder (zip-slip "../evil.so")', async () => {
      await writeRaw(await zipWithRawEntry('../evil.so'));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/\.\.\/evil\.so/));
    });

    it('a zip with an absolute entry path "/etc/evil.so"', async () => {
      await writeRaw(await zipWithRawEntry('/etc/evil.so'));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/\/etc\/evil\.so/));
    });

    it('a zip with a backslash path "..\\evil.so"', async () => {
      await writeRaw(await zipWithRawEntry('..\\evil.so'));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModule);
    });

    it('a zip that holds module.json twice', async () => {
      await writeRaw(await zipWithRawEntry('module.json'));

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/twice/));
    });

    it('a module.json larger than 1 MiB', async () => {
      await writeZip({ manifest: { description: 'd'.repeat(1024 * 1024) } });

      const inspecting = inspectArtifact(zipPath);

      await expect(inspecting).rejects.toMatchObject(invalidModuleSaying(/larger than 1 MiB/));
    });
  });
});

describe('entryNameProblem', () => {
  it.each(['module.json', 'module.so', 'README.md', '.hidden'])('accepts the flat name %s', name => {
    const problem = entryNameProblem(name);

    expect(problem).toBeUndefined();
  });

  it.each(['../evil.so', '/etc/evil.so', 'C:/evil.so', 'lib/x.so', 'lib/', '..', '.', '', 'a\\b', 'bad\nname'])(
    'reports a problem for %j',
    name => {
      const problem = entryNameProblem(name);

      expect(problem).toEqual(expect.any(String));
    },
  );
});
