import type { DiscoveredModule } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { manifestFileWarnings, packProblems } from './pack-checks.js';
import { buildManifest } from './pack-manifest.js';

const discovered: DiscoveredModule = {
  module_name: 'ft',
  version: 10200,
  redis_version: '7.0.15',
  commands: [
    { command_name: 'FT.SEARCH', command_arity: -1, flags: ['readonly'], first_key: 1, last_key: 1, step: 1 },
    { command_name: 'FT.SUGADD', command_arity: -1, flags: ['write'], first_key: 1, last_key: 1, step: 1 },
  ],
};

const messages = (problems: { level: string; message: string }[], level: string) =>
  problems.filter(p => p.level === level).map(p => p.message);

describe('pack: what inspect would say about the module.json it built', () => {
  it('says nothing about a manifest that matches what the module registered', () => {
    const manifest = buildManifest({ flags: {}, file: {}, discovered, binary: {} });

    expect(packProblems(manifest, discovered)).toEqual([]);
  });

  it('warns, naming the nodes’ check, when a flag makes module.json differ from the module', () => {
    const manifest = buildManifest({
      flags: { name: 'search', version: '10202', capabilities: ['types', 'teleport'] },
      file: {},
      discovered,
      binary: {},
    });

    const problems = packProblems(manifest, discovered);

    expect(messages(problems, 'error')).toEqual([]);
    expect(messages(problems, 'warning')).toEqual([
      expect.stringMatching(/capability "teleport" is not one RS documents/),
      "version: module.json says 10202, the module registers 10200 (every node's load check will fail on this)",
      'module_name "search" differs from the name it registers, "ft"',
    ]);
  });

  it('refuses a manifest that would misroute: an override with arity 0 writes nothing', () => {
    const manifest = buildManifest({
      flags: {},
      file: { overide_command: [{ command_name: 'FT.SEARCH', command_arity: 0 }] },
      discovered,
      binary: {},
    });

    expect(() => packProblems(manifest, discovered)).toThrow(/FT\.SEARCH: command_arity 0 is not valid/);
  });

  it('warns about manifest keys neither RAMP nor RS reads, and about dependency urls it drops', () => {
    const file = {
      module_name: 'search',
      min_redis_verison: '6.2',
      dependencies: { gears: { url: 'http://example.com/gears.zip', sha256: 'ab' } },
    };

    expect(messages(manifestFileWarnings(file, 'ramp.yml'), 'warning')).toEqual([
      'ramp.yml: unknown key "min_redis_verison" (kept in module.json, but neither RAMP nor RS reads it)',
      'ramp.yml: dependencies keep their names only: a fleet installs a dependency pushed to it, not from a url',
    ]);
    expect(manifestFileWarnings({ display_name: 'X', run_command_line_args: 'A 1' }, 'ramp.yml')).toEqual([]);
  });
});
