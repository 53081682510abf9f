import { describeZodError, moduleDefinitionSchema, moduleManifestSchema } from '../artifacts/module-schemas.js';
import { compareVersions, type DiscoveredModule } from './module-commands.js';

export interface LintProblem {
  level: 'error' | 'warning';
  message: string;
}

/** RS's documented module capabilities (GET /v1/cluster/module-capabilities; RAMP's list). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'types',
  'no_multi_key',
  'replica_of',
  'backup_restore',
  'eviction_expiry',
  'reshard_rebalance',
  'failover_migrate',
  'persistence_aof',
  'persistence_rdb',
  'hash_policy',
  'flash',
  'crdb',
  'clustering',
  'intershard_tls',
  'intershard_tls_pass',
  'ipv6',
];

/** Negative steps are not key steps but RS proxy routing policies. */
export const PROXY_POLICIES: Readonly<Record<number, string>> = {
  [-1]: 'sent to a random shard',
  [-2]: 'sent to a random shard, replies carry a cursor',
  [-3]: 'routed by the cursor in its arguments',
};

const error = (message: string): LintProblem => ({ level: 'error', message });
const warning = (message: string): LintProblem => ({ level: 'warning', message });

interface RawCommand {
  command_name?: unknown;
  command_arity?: unknown;
  first_key?: unknown;
  last_key?: unknown;
  step?: unknown;
}

/** The routing data RS's proxy relies on: arity to validate, key positions to pick the shard. */
export function lintCommand(command: RawCommand): LintProblem[] {
  const name = typeof command.command_name === 'string' ? command.command_name : '(unnamed)';
  const problems: LintProblem[] = [];
  const ints = ['command_arity', 'first_key', 'last_key', 'step'] as const;
  for (const field of ints) {
    if (command[field] === undefined) problems.push(error(`${name}: ${field} is missing (the RS proxy needs it)`));
  }
  if (problems.length > 0) return problems;
  const {
    command_arity: arity,
    first_key: first,
    last_key: last,
    step,
  } = command as {
    command_arity: number;
    first_key: number;
    last_key: number;
    step: number;
  };
  if (arity === 0)
    problems.push(error(`${name}: command_arity 0 is not valid (N: exactly N arguments, -N: at least N)`));
  if (first < 0) problems.push(error(`${name}: first_key ${first} is negative`));
  if (first === 0 && (last !== 0 || step > 0)) {
    problems.push(error(`${name}: first_key 0 (no keys) but last_key ${last}, step ${step}`));
  }
  if (first > 0 && last >= 0 && first > last) {
    problems.push(error(`${name}: first_key ${first} is after last_key ${last}`));
  }
  if (first > 0 && step === 0) problems.push(error(`${name}: has keys (first_key ${first}) but step 0`));
  if (step < 0) {
    const policy = PROXY_POLICIES[step];
    problems.push(
      policy
        ? warning(`${name}: step ${step} is an RS proxy policy, not a key step: ${policy}`)
        : error(`${name}: step ${step} is neither a key step nor a known RS proxy policy (-1, -2, -3)`),
    );
  }
  return problems;
}

/** Field types, the eight fields POST /v2/modules/user-defined needs, routing data, capabilities. */
export function lintManifest(json: unknown): LintProblem[] {
  const parsed = moduleManifestSchema.safeParse(json);
  if (!parsed.success) return [error(`module.json: ${describeZodError(parsed.error)}`)];
  const manifest = parsed.data;
  const problems: LintProblem[] = [];
  const definition = moduleDefinitionSchema.safeParse(manifest);
  if (!definition.success) {
    problems.push(warning(`not valid for POST /v2/modules/user-defined: ${describeZodError(definition.error)}`));
  }
  const seen = new Set<string>();
  for (const command of manifest.commands) {
    const key = command.command_name.toLowerCase();
    if (seen.has(key)) problems.push(error(`${command.command_name}: listed twice`));
    seen.add(key);
    problems.push(...lintCommand(command));
  }
  for (const capability of manifest.capabilities) {
    if (!KNOWN_CAPABILITIES.includes(capability)) {
      problems.push(warning(`capability "${capability}" is not one RS documents (${KNOWN_CAPABILITIES.join(', ')})`));
    }
  }
  return problems;
}

const excludedCommands = (manifest: Record<string, unknown>): Set<string> => {
  const value = manifest.exclude_commands;
  return new Set(Array.isArray(value) ? value.map(name => String(name).toLowerCase()) : []);
};

/**
 * The manifest against what the .so registered: version, min_redis_version, and every command
 * with the same arity and key positions, none left out (unless listed in `exclude_commands`).
 */
export function compareWithModule(manifest: Record<string, unknown>, found: DiscoveredModule): LintProblem[] {
  const problems: LintProblem[] = [];
  if (manifest.version !== found.version) {
    problems.push(
      error(`version: module.json says ${String(manifest.version)}, the module registers ${found.version}`),
    );
  }
  if (manifest.module_name !== found.module_name) {
    problems.push(
      warning(
        `module_name "${String(manifest.module_name)}" differs from the name it registers, "${found.module_name}"`,
      ),
    );
  }
  const min = manifest.min_redis_version;
  if (typeof min === 'string' && compareVersions(min, found.redis_version) > 0) {
    problems.push(error(`min_redis_version ${min} is above this redis-server (${found.redis_version})`));
  }
  const actual = new Map(found.commands.map(c => [c.command_name.toLowerCase(), c]));
  const listed = Array.isArray(manifest.commands) ? (manifest.commands as RawCommand[]) : [];
  for (const command of listed) {
    const name = String(command.command_name);
    const real = actual.get(name.toLowerCase());
    if (!real) {
      problems.push(error(`${name}: listed in module.json but the module registers no such command`));
      continue;
    }
    const pairs: [string, unknown, number][] = [
      ['command_arity', command.command_arity, real.command_arity],
      ['first_key', command.first_key, real.first_key],
      ['last_key', command.last_key, real.last_key],
    ];
    // A negative step is a proxy policy the module cannot know about: only positive steps compare.
    if (typeof command.step !== 'number' || command.step >= 0) pairs.push(['step', command.step, real.step]);
    for (const [field, said, registered] of pairs) {
      if (said !== undefined && said !== registered) {
        problems.push(
          error(`${name}: module.json says ${field} ${JSON.stringify(said)}, the module registers ${registered}`),
        );
      }
    }
  }
  const excluded = excludedCommands(manifest);
  const listedNames = new Set(listed.map(c => String(c.command_name).toLowerCase()));
  for (const real of found.commands) {
    const key = real.command_name.toLowerCase();
    if (!listedNames.has(key) && !excluded.has(key)) {
      problems.push(error(`${real.command_name}: registered by the module but missing from module.json's commands`));
    }
  }
  return problems;
}
