import { z } from 'zod';
import { MODULE_NAME_RULES } from '../contract/module-name.js';

const [nameCharacters, notOnlyDots] = MODULE_NAME_RULES;

/** RS module names (the rules in contract/module-name.ts, which the CLI checks without zod). */
export const moduleNameSchema = z
  .string({ error: 'module_name must be a string' })
  .regex(nameCharacters.pattern, { error: nameCharacters.message })
  .regex(notOnlyDots.pattern, { error: notOnlyDots.message });

export const moduleVersionSchema = z
  .number({ error: 'version must be an integer' })
  .int({ error: 'version must be an integer' })
  .min(0, { error: 'version must not be negative' })
  .max(2 ** 31 - 1, { error: 'version is too large' });

export const commandSchema = z.looseObject({
  command_name: z.string().min(1),
  command_arity: z.number().int().optional(),
  first_key: z.number().int().optional(),
  last_key: z.number().int().optional(),
  step: z.number().int().optional(),
  flags: z.array(z.string()).optional(),
});

/** Where a dependency comes from, as RAMP writes it: `{url, sha256}` (either may be left out). */
export interface DependencySource {
  url?: string;
  sha256?: string;
  [key: string]: unknown;
}

/**
 * A module's dependencies in any shape a manifest writes them: modfleet's list of names, RAMP's
 * `{name: {url, sha256}}` (and its empty list when there are none), or a list of `{name, url, sha256}`.
 */
export type ModuleDependencies = string[] | (DependencySource & { name: string })[] | Record<string, DependencySource>;

// Refinements, not z.string(): a type error inside one branch of the union below would make zod
// give up on every branch and report only the union's message instead of naming the field.
const dependencySourceSchema = z.looseObject({
  url: z
    .unknown()
    .refine(value => typeof value === 'string', { error: 'url must be a string' })
    .optional(),
  sha256: z
    .unknown()
    .refine(value => typeof value === 'string' && /^[0-9a-f]{64}$/i.test(value), {
      error: 'sha256 must be 64 hex digits (the SHA-256 of the dependency file)',
    })
    .optional(),
});

export const moduleDependenciesSchema = z.union(
  [
    z.array(z.string()),
    z.array(dependencySourceSchema.extend({ name: z.string({ error: 'name must be a string' }) })),
    z.record(z.string(), dependencySourceSchema),
  ],
  { error: 'dependencies must be a list of names or an object of {url, sha256} by name' },
) as unknown as z.ZodType<ModuleDependencies>;

/** The names of the modules depended on, as RS lists them on a node's artifact listing. */
export function dependencyNamesOf(dependencies: ModuleDependencies | undefined): string[] {
  if (dependencies === undefined) return [];
  if (!Array.isArray(dependencies)) return Object.keys(dependencies);
  return dependencies.map(item => (typeof item === 'string' ? item : item.name));
}

/** The dependencies as the RS module object shows them: `{name: {url, sha256}}`, `{}` per bare name. */
export function dependencySources(dependencies: ModuleDependencies): Record<string, DependencySource> {
  if (!Array.isArray(dependencies)) return dependencies;
  return Object.fromEntries(
    dependencies.map(item => {
      if (typeof item === 'string') return [item, {}];
      const { name, ...source } = item;
      return [name, source];
    }),
  );
}

/**
 * `module.json` at the root of an RS 8.x artifact zip, as modfleet's `pack` or RAMP writes it.
 * Extra metadata (author, license, RAMP's architecture, os, ramp_format_version…) is kept.
 */
export const moduleManifestSchema = z.looseObject({
  module_name: moduleNameSchema,
  version: moduleVersionSchema,
  semantic_version: z.string({ error: 'semantic_version must be a string' }).min(1),
  min_redis_version: z.string({ error: 'min_redis_version must be a string' }),
  commands: z.array(commandSchema, { error: 'commands must be an array of command objects' }),
  capabilities: z.array(z.string(), { error: 'capabilities must be an array of strings' }),
  dependencies: moduleDependenciesSchema.optional(),
});
export type ModuleManifest = z.infer<typeof moduleManifestSchema>;

/** Body of `POST /v2/modules/user-defined`: RS requires all eight fields with these types. */
export const moduleDefinitionSchema = z.looseObject({
  module_name: moduleNameSchema,
  version: moduleVersionSchema,
  semantic_version: z.string({ error: 'semantic_version must be a string' }).min(1),
  display_name: z.string({ error: 'display_name must be a string' }),
  commands: z.array(commandSchema, { error: 'commands must be an array of command objects' }),
  command_line_args: z.string({ error: 'command_line_args must be a string' }),
  capabilities: z.array(z.string(), { error: 'capabilities must be an array of strings' }),
  min_redis_version: z.string({ error: 'min_redis_version must be a string' }),
});
export type ModuleDefinition = z.infer<typeof moduleDefinitionSchema>;

/** One line per problem, naming the field: what a client needs to fix its request. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map(issue => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
