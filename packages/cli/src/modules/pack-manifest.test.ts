import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveredModule } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifestFile } from './manifest-file.js';
import { buildManifest } from './pack-manifest.js';

const discovered: DiscoveredModule = {
  module_name: 'ft',
  version: 10200,
  redis_version: '7.0.15',
  commands: [
    { command_name: 'FT.CREATE', command_arity: -1, flags: ['write'], first_key: 1, last_key: 1, step: 1 },
    { command_name: 'FT.CURSOR', command_arity: -1, flags: ['readonly'], first_key: 2, last_key: 2, step: 1 },
    { command_name: 'FT.DEBUG', command_arity: -1, flags: ['readonly'], first_key: 0, last_key: 0, step: 0 },
  ],
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modfleet-pack-manifest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pack: module.json from discovery, a RAMP manifest and flags', () => {
  it('takes name, version and commands from what Redis reported, with RAMP’s fields', () => {
    const manifest = buildManifest({ flags: {}, file: {}, discovered, binary: { module_file: 'redisearch.so' } });

    expect(manifest).toMatchObject({
      module_name: 'ft',
      display_name: 'ft',
      version: 10200,
      semantic_version: '1.2.0',
      commands: discovered.commands,
      module_file: 'redisearch.so',
      command_line_args: '',
      min_redis_version: '7.0',
      compatible_redis_version: '7.0',
      crdb: {},
    });
  });

  it('lets a YAML manifest exclude, override and add commands, and the flags win over it', async () => {
    const yml = join(dir, 'ramp.yml');
    await writeFile(
      yml,
      [
        'module_name: search',
        'display_name: RediSearch',
        'capabilities: [types, replica_of]',
        'exclude_commands: [FT.DEBUG]',
        'overide_command:',
        '  - {command_name: FT.CURSOR, command_arity: -2, step: -3}',
        'add_command:',
        '  - {command_name: FT.EXTRA, command_arity: 2, first_key: 1, last_key: 1, step: 1, flags: [readonly]}',
      ].join('\n'),
    );

    const manifest = buildManifest({
      flags: { displayName: 'Search', excludeCommand: ['FT.CREATE'], commandLineArgs: 'MAXDOCTABLESIZE 1000' },
      file: await readManifestFile(yml),
      discovered,
      binary: {},
    });

    expect(manifest).toMatchObject({
      module_name: 'search',
      display_name: 'Search',
      version: 10200,
      capabilities: ['types', 'replica_of'],
      command_line_args: 'MAXDOCTABLESIZE 1000',
      exclude_commands: ['ft.debug', 'ft.create'],
    });
    expect(manifest.commands.map(c => [c.command_name, c.command_arity, c.step])).toEqual([
      ['FT.CURSOR', -2, -3],
      ['FT.EXTRA', 2, 1],
    ]);
    expect(manifest).not.toHaveProperty('overide_command');
  });

  it('takes RAMP’s dependencies (by name, or a list of {name, url}) as names, and keeps run_command_line_args out', () => {
    const byName = buildManifest({
      flags: {},
      file: { dependencies: { gears: { url: 'http://x/gears.zip', sha256: 'ab' } }, run_command_line_args: 'SAFEMODE' },
      discovered,
      binary: {},
    });
    const listed = buildManifest({
      flags: {},
      file: { dependencies: [{ name: 'ReJSON', url: 'http://x/rejson.zip', sha256: 'cd' }] },
      discovered,
      binary: {},
    });

    expect(byName.dependencies).toEqual(['gears']);
    expect(byName).not.toHaveProperty('run_command_line_args');
    expect(listed.dependencies).toEqual(['ReJSON']);
  });

  it('needs --name and --version when nothing was discovered', () => {
    expect(() => buildManifest({ flags: {}, file: {}, binary: {} })).toThrow(/give --name and --version/);
  });

  it('refuses a manifest file that is not a mapping', async () => {
    const bad = join(dir, 'bad.yml');
    await writeFile(bad, '- just\n- a list\n');
    await expect(readManifestFile(bad)).rejects.toMatchObject({ code: 'bad_file' });
  });
});
