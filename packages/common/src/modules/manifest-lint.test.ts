import { describe, expect, it } from 'vitest';
import { compareWithModule, lintCommand, lintManifest } from './manifest-lint.js';
import type { DiscoveredModule } from './module-commands.js';

const command = (overrides: Record<string, unknown> = {}) => ({
  command_name: 'x.set',
  command_arity: 3,
  first_key: 1,
  last_key: 1,
  step: 1,
  flags: ['write'],
  ...overrides,
});

const manifest = (overrides: Record<string, unknown> = {}) => ({
  module_name: 'x',
  display_name: 'X',
  version: 10001,
  semantic_version: '1.0.1',
  min_redis_version: '7.0',
  command_line_args: '',
  capabilities: ['types'],
  commands: [command()],
  ...overrides,
});

const messages = (problems: { level: string; message: string }[], level: string) =>
  problems.filter(p => p.level === level).map(p => p.message);

describe('lintCommand: the routing data RS’s proxy uses', () => {
  it('accepts a keyed command and a keyless one', () => {
    expect(lintCommand(command())).toEqual([]);
    expect(lintCommand(command({ first_key: 0, last_key: 0, step: 0 }))).toEqual([]);
    expect(lintCommand(command({ first_key: 1, last_key: -1, step: 1 }))).toEqual([]);
  });

  it('reports arity 0, first_key after last_key, keys with step 0 and missing fields as errors', () => {
    expect(messages(lintCommand(command({ command_arity: 0 })), 'error')).toEqual([
      expect.stringMatching(/x\.set: command_arity 0 is not valid/),
    ]);
    expect(messages(lintCommand(command({ first_key: 3, last_key: 2 })), 'error')).toEqual([
      'x.set: first_key 3 is after last_key 2',
    ]);
    expect(messages(lintCommand(command({ step: 0 })), 'error')).toEqual(['x.set: has keys (first_key 1) but step 0']);
    expect(messages(lintCommand(command({ command_arity: undefined })), 'error')).toEqual([
      'x.set: command_arity is missing (the RS proxy needs it)',
    ]);
  });

  it('names negative steps as RS proxy policies, and refuses unknown ones', () => {
    expect(lintCommand(command({ step: -2 }))).toEqual([
      { level: 'warning', message: expect.stringMatching(/step -2 is an RS proxy policy.*cursor/) as string },
    ]);
    expect(messages(lintCommand(command({ step: -7 })), 'error')).toEqual([
      expect.stringMatching(/step -7 is neither a key step nor a known RS proxy policy/),
    ]);
  });
});

describe('lintManifest', () => {
  it('passes a complete manifest and warns on capabilities RS does not document', () => {
    expect(lintManifest(manifest())).toEqual([]);
    expect(messages(lintManifest(manifest({ capabilities: ['types', 'teleport'] })), 'warning')).toEqual([
      expect.stringMatching(/capability "teleport" is not one RS documents/),
    ]);
  });

  it('reports wrong field types as an error and the fields POST /v2/modules/user-defined needs as a warning', () => {
    expect(messages(lintManifest(manifest({ version: '1.0' })), 'error')).toEqual([
      'module.json: version: version must be an integer',
    ]);
    expect(messages(lintManifest(manifest({ display_name: undefined })), 'warning')).toEqual([
      expect.stringMatching(/not valid for POST \/v2\/modules\/user-defined: display_name/),
    ]);
  });

  it('reports a command listed twice', () => {
    expect(
      messages(lintManifest(manifest({ commands: [command(), command({ command_name: 'X.SET' })] })), 'error'),
    ).toEqual(['X.SET: listed twice']);
  });
});

describe('compareWithModule: the manifest against what the .so registered', () => {
  const found: DiscoveredModule = {
    module_name: 'x',
    version: 10001,
    redis_version: '7.0.15',
    commands: [
      command({ command_name: 'X.SET' }),
      command({ command_name: 'X.GET', command_arity: 2, flags: ['readonly'] }),
    ],
  };

  it('matches names case-insensitively and ignores negative (policy) steps', () => {
    const listed = [command(), command({ command_name: 'x.get', command_arity: 2, step: -1, flags: ['readonly'] })];
    expect(compareWithModule(manifest({ commands: listed }), found)).toEqual([]);
  });

  it('reports version, min_redis_version, arity, key positions, unknown and omitted commands', () => {
    const listed = [command({ command_arity: -3, last_key: 2 }), command({ command_name: 'x.del' })];

    const problems = compareWithModule(manifest({ version: 10002, min_redis_version: '7.2', commands: listed }), found);

    expect(messages(problems, 'error')).toEqual([
      'version: module.json says 10002, the module registers 10001',
      'min_redis_version 7.2 is above this redis-server (7.0.15)',
      'x.set: module.json says command_arity -3, the module registers 3',
      'x.set: module.json says last_key 2, the module registers 1',
      'x.del: listed in module.json but the module registers no such command',
      "X.GET: registered by the module but missing from module.json's commands",
    ]);
  });

  it('lets exclude_commands leave a command out, and only warns on a different registered name', () => {
    const problems = compareWithModule(manifest({ module_name: 'search', exclude_commands: ['x.get'] }), found);

    expect(problems).toEqual([
      { level: 'warning', message: 'module_name "search" differs from the name it registers, "x"' },
    ]);
  });
});
