import {
  compareWithModule,
  lintManifest,
  type DiscoveredModule,
  type LintProblem,
  type ModuleManifest,
} from '@modfleet/common';
import { UsageError } from '../client/client-context.js';

/** The keys RAMP knows (its FIELDS and options) and those RS reads from module.json. */
const KNOWN_MANIFEST_KEYS = new Set([
  'add_command',
  'architecture',
  'author',
  'bigstore_version_2_support',
  'capabilities',
  'capability_name',
  'command_line_args',
  'commands',
  'compatible_redis_version',
  'config_command',
  'crdb',
  'dependencies',
  'description',
  'display_name',
  'email',
  'exclude_commands',
  'git_sha',
  'homepage',
  'license',
  'min_redis_pack_version',
  'min_redis_version',
  'module_file',
  'module_name',
  'operating_systems',
  'optional-dependencies',
  'os',
  'overide_command',
  'override_command',
  'ramp_format_version',
  'redis_args',
  'run_command_line_args',
  'semantic_version',
  'sha256',
  'version',
]);

/** What RAMP warns about in a manifest file: keys it does not know (a typo stays a typo). */
export function manifestFileWarnings(file: Record<string, unknown>, path: string | undefined): LintProblem[] {
  const source = path ?? 'manifest';
  const unknown = Object.keys(file).filter(key => !KNOWN_MANIFEST_KEYS.has(key));
  const warnings: LintProblem[] = unknown.map(key => ({
    level: 'warning',
    message: `${source}: unknown key "${key}" (kept in module.json, but neither RAMP nor RS reads it)`,
  }));
  const deps = file.dependencies;
  const withUrls = Array.isArray(deps)
    ? deps.some(dep => dep && typeof dep === 'object')
    : !!deps && typeof deps === 'object';
  if (withUrls) {
    warnings.push({
      level: 'warning',
      message: `${source}: dependencies keep their names only: a fleet installs a dependency pushed to it, not from a url`,
    });
  }
  return warnings;
}

/**
 * What `inspect` would report about the manifest pack just built. Routing errors of the manifest
 * itself (arity 0, keys with step 0…) refuse the pack: RS's proxy would misroute those commands.
 * Differences from the loaded module are warnings: a flag or the manifest file asked for them,
 * and every node's load check will report them too.
 */
export function packProblems(manifest: ModuleManifest, discovered: DiscoveredModule | undefined): LintProblem[] {
  const own = lintManifest(manifest);
  const errors = own.filter(problem => problem.level === 'error');
  if (errors.length > 0) {
    throw new UsageError(
      'invalid_module',
      `the module.json built would misroute commands; nothing was written:\n${errors.map(e => `  ${e.message}`).join('\n')}`,
    );
  }
  const againstModule = discovered ? compareWithModule(manifest, discovered) : [];
  return [
    ...own,
    ...againstModule.map(problem =>
      problem.level === 'error'
        ? { level: 'warning' as const, message: `${problem.message} (every node's load check will fail on this)` }
        : problem,
    ),
  ];
}
