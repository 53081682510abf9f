import {
  describeZodError,
  moduleManifestSchema,
  semanticFromVersion,
  type DiscoveredModule,
  type ModuleCommand,
  type ModuleManifest,
} from '@modfleet/common';
import { UsageError } from '../client/client-context.js';

/** What the flags of `modfleet pack` can set; each wins over the manifest file and discovery. */
export interface ManifestFlags {
  name?: string | undefined;
  version?: string | undefined;
  semanticVersion?: string | undefined;
  displayName?: string | undefined;
  minRedisVersion?: string | undefined;
  capabilities?: string[] | undefined;
  dependencies?: string[] | undefined;
  excludeCommand?: string[] | undefined;
  commandLineArgs?: string | undefined;
}

export interface ManifestSources {
  flags: ManifestFlags;
  /** The --manifest file's keys. */
  file: Record<string, unknown>;
  /** What Redis reported about the module (undefined with --no-discover). */
  discovered?: DiscoveredModule | undefined;
  /** Facts about the .so and the build machine: module_file, sha256, architecture, os. */
  binary: Record<string, string>;
}

/** RAMP's fields and defaults, so the module.json is complete for POST /v2/modules/user-defined too. */
const RAMP_DEFAULTS = {
  author: '',
  email: '',
  description: '',
  homepage: '',
  license: '',
  command_line_args: '',
  capabilities: [],
  capability_name: '',
  config_command: '',
  min_redis_version: '7.0',
  compatible_redis_version: '7.4',
  bigstore_version_2_support: false,
  crdb: {},
  exclude_commands: [],
  ramp_format_version: '1.0',
  git_sha: '',
};

const names = (value: unknown): string[] => (Array.isArray(value) ? value.map(v => String(v).toLowerCase()) : []);
const commandList = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter((c): c is Record<string, unknown> => !!c && typeof c === 'object') : [];

/**
 * RAMP's command options over the discovered list: `exclude_commands` drops, `overide_command`
 * (RAMP's spelling; `override_command` too) replaces fields by name, `add_command` appends.
 */
function commandsFrom(file: Record<string, unknown>, discovered: ModuleCommand[], excluded: string[]): unknown[] {
  if (Array.isArray(file.commands)) return file.commands as unknown[];
  const overrides = [...commandList(file.overide_command), ...commandList(file.override_command)];
  const byName = new Map(overrides.map(c => [String(c.command_name).toLowerCase(), c]));
  return [
    ...discovered
      .filter(c => !excluded.includes(c.command_name.toLowerCase()))
      .map(c => ({ ...c, ...byName.get(c.command_name.toLowerCase()) })),
    ...commandList(file.add_command),
  ];
}

/**
 * RAMP's `dependencies` ({name: {url, sha256}} or [{name, url, sha256}]) as modfleet's list of
 * module names: a fleet resolves a dependency by name among the artifacts it holds.
 */
export function dependencyNames(value: unknown): unknown {
  if (Array.isArray(value)) {
    return (value as unknown[]).map(item =>
      item && typeof item === 'object' && 'name' in item ? String(item.name) : item,
    );
  }
  if (value && typeof value === 'object') return Object.keys(value);
  return value;
}

/** Precedence, as RAMP: defaults, then what Redis reported, then the manifest file, then the flags. */
export function buildManifest({ flags, file, discovered, binary }: ManifestSources): ModuleManifest {
  const rawVersion = flags.version ?? file.version ?? discovered?.version;
  const version = typeof rawVersion === 'string' && /^\d+$/.test(rawVersion) ? Number(rawVersion) : rawVersion;
  const moduleName = flags.name ?? file.module_name ?? discovered?.module_name;
  if (moduleName === undefined || version === undefined) {
    throw new UsageError('usage', 'give --name and --version (with --no-discover nothing is read from the module)');
  }
  const excluded = [...names(file.exclude_commands), ...(flags.excludeCommand ?? []).map(n => n.toLowerCase())];
  // RAMP's command options and discovery-only arguments shape module.json; they are not fields of it.
  const {
    overide_command: _o,
    override_command: _oo,
    add_command: _a,
    run_command_line_args: _r,
    ...fileFields
  } = file;
  const loadedInto = /^\d+\.\d+/.exec(discovered?.redis_version ?? '')?.[0];
  const candidate: Record<string, unknown> = {
    ...RAMP_DEFAULTS,
    // RS picks a database's module version by this field: the Redis the module was loaded into.
    ...(loadedInto !== undefined && { compatible_redis_version: loadedInto }),
    display_name: moduleName,
    ...binary,
    ...fileFields,
    module_name: moduleName,
    version,
    semantic_version:
      flags.semanticVersion ??
      (typeof file.semantic_version === 'string' ? file.semantic_version : undefined) ??
      (typeof version === 'number' ? semanticFromVersion(version) : '0.0.0'),
    commands: commandsFrom(file, discovered?.commands ?? [], excluded),
    exclude_commands: [...new Set(excluded)],
    ...(fileFields.dependencies !== undefined && { dependencies: dependencyNames(fileFields.dependencies) }),
    ...(flags.displayName !== undefined && { display_name: flags.displayName }),
    ...(flags.minRedisVersion !== undefined && { min_redis_version: flags.minRedisVersion }),
    ...(flags.capabilities !== undefined && { capabilities: flags.capabilities }),
    ...(flags.dependencies !== undefined && { dependencies: flags.dependencies }),
    ...(flags.commandLineArgs !== undefined && { command_line_args: flags.commandLineArgs }),
  };
  const parsed = moduleManifestSchema.safeParse(candidate);
  if (!parsed.success) throw new UsageError('invalid_module', describeZodError(parsed.error));
  return parsed.data;
}
