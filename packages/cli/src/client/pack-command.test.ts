import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectArtifact } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { UsageError } from './client-context.js';
import { buildManifest } from '../modules/pack-manifest.js';
import { packArtifact, semanticFromVersion } from './pack-artifact.js';

let dir: string;
let so: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modfleet-cli-pack-'));
  so = join(dir, 'redisbloom.so');
  await writeFile(so, randomBytes(64 * 1024));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function entryNames(zipPath: string): Promise<string[]> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  zip.close();
  return names;
}

describe('modfleet pack', () => {
  it('builds a zip that the agent’s own inspectArtifact accepts: module.json and the .so at the root', async () => {
    const out = join(dir, 'bloom.zip');
    const result = await packArtifact({
      module: so,
      name: 'bf',
      version: '20612',
      capabilities: ['types', 'replica_of'],
      dependencies: ['ReJSON'],
      discover: false,
      out,
    });
    expect(result.file).toBe(out);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);

    const inspected = await inspectArtifact(out);
    expect(inspected.moduleFile).toBe('redisbloom.so');
    expect(inspected.manifest).toMatchObject({
      module_name: 'bf',
      display_name: 'bf',
      version: 20612,
      semantic_version: '2.6.12',
      min_redis_version: '7.0',
      compatible_redis_version: '7.4',
      command_line_args: '',
      commands: [],
      capabilities: ['types', 'replica_of'],
      dependencies: ['ReJSON'],
      module_file: 'redisbloom.so',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });
    expect((await entryNames(out)).sort()).toEqual(['module.json', 'redisbloom.so']);
    // nothing left behind but the zip itself
    expect((await readdir(dir)).sort()).toEqual(['bloom.zip', 'redisbloom.so']);
  });

  it('is reproducible: the same inputs give the same bytes, so a re-push is a no-op', async () => {
    const a = await packArtifact({ module: so, name: 'm', version: '1', discover: false, out: join(dir, 'a.zip') });
    const b = await packArtifact({ module: so, name: 'm', version: '1', discover: false, out: join(dir, 'b.zip') });
    expect(a.sha256).toBe(b.sha256);
  });

  it('validates name and version with the manifest schema the agents use', () => {
    const build = (name: string, version: string) => () =>
      buildManifest({ flags: { name, version }, file: {}, binary: {} });
    expect(build('../etc', '1')).toThrow(/module_name/);
    expect(build('..', '1')).toThrow(/only dots/);
    expect(build('x'.repeat(65), '1')).toThrow(UsageError);
    let bad: unknown;
    try {
      build('ok', '1.5')();
    } catch (err) {
      bad = err;
    }
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad).toMatchObject({ code: 'invalid_module' });
    expect((bad as Error).message).toBe('version: version must be an integer');
    expect(build('ok', String(2 ** 31))).toThrow(/too large/);
  });

  it('takes commands and other fields from --manifest, the flags winning', async () => {
    const extra = join(dir, 'extra.json');
    await writeFile(
      extra,
      JSON.stringify({
        module_name: 'ignored',
        display_name: 'Bloom',
        commands: [{ command_name: 'bf.add', command_arity: 3, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
        semantic_version: '9.9.9',
      }),
    );
    const result = await packArtifact({
      module: so,
      name: 'bf',
      version: '20612',
      manifest: extra,
      discover: false,
      out: join(dir, 'bf.zip'),
    });
    expect(result.manifest).toMatchObject({
      module_name: 'bf',
      display_name: 'Bloom',
      semantic_version: '9.9.9',
      commands: [{ command_name: 'bf.add' }],
    });
    await writeFile(extra, '[1]');
    await expect(
      packArtifact({ module: so, name: 'bf', version: '1', manifest: extra, discover: false }),
    ).rejects.toMatchObject({ code: 'bad_file' });
  });

  it('refuses a module file that is not a .so or does not exist', async () => {
    const other = join(dir, 'module.dylib');
    await writeFile(other, 'x');
    await expect(
      packArtifact({ module: other, name: 'm', version: '1', discover: false, out: join(dir, 'x.zip') }),
    ).rejects.toThrow(/not a compiled module/);
    await expect(
      packArtifact({
        module: join(dir, 'missing.so'),
        name: 'm',
        version: '1',
        discover: false,
        out: join(dir, 'x.zip'),
      }),
    ).rejects.toMatchObject({ code: 'bad_file' });
  });

  it('derives the semantic version RS-style (MMmmpp)', () => {
    expect(semanticFromVersion(20804)).toBe('2.8.4');
    expect(semanticFromVersion(10000)).toBe('1.0.0');
    expect(semanticFromVersion(7)).toBe('0.0.7');
  });
});
