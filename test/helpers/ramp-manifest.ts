/**
 * module.json as RAMP (RedisLabsModules/RAMP, the packer RS's module zips come from) writes it:
 * every key of its metadata, sorted, indented by four; `dependencies` as `{name: {url, sha256}}`.
 */
export const RAMP_DEPENDENCY_SHA256 = 'ab'.repeat(32);

export function rampManifestText(overrides: Record<string, unknown> = {}): string {
  const metadata: Record<string, unknown> = {
    add_command: [],
    architecture: 'x86_64',
    author: 'RedisLabs',
    bigstore_version_2_support: false,
    capabilities: ['types', 'replica_of', 'backup_restore', 'clustering'],
    capability_name: 'Ramp test',
    command_line_args: '',
    commands: [
      { command_arity: -2, command_name: 'ramp.set', first_key: 1, flags: ['write'], last_key: 1, step: 1 },
      { command_arity: 2, command_name: 'ramp.get', first_key: 1, flags: ['readonly'], last_key: 1, step: 1 },
    ],
    compatible_redis_version: '7.4',
    config_command: '',
    crdb: {},
    dependencies: { gears: { sha256: RAMP_DEPENDENCY_SHA256, url: 'http://example.invalid/gears.zip' } },
    description: 'A module packed by RAMP',
    display_name: 'Ramp test',
    email: 'modules@example.invalid',
    exclude_commands: ['ramp.debug'],
    git_sha: '0123456789abcdef0123456789abcdef01234567',
    homepage: 'http://example.invalid',
    license: 'Redis Source Available License',
    min_redis_pack_version: '6.0.8',
    min_redis_version: '6.0',
    module_file: 'rampmod.so',
    module_name: 'RampMod',
    operating_systems: ['ubuntu22.04'],
    'optional-dependencies': [],
    os: 'Linux',
    overide_command: [],
    ramp_format_version: 1,
    redis_args: {},
    run_command_line_args: null,
    semantic_version: '1.2.3',
    sha256: 'cd'.repeat(32),
    version: 10203,
    ...overrides,
  };
  const sorted = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify(sorted, null, 4);
}
