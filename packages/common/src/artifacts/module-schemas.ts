import { z } from 'zod';

/** RS module names: letters, digits, `.`, `_`, `-`; never a path (so never `.` or `..`). */
export const moduleNameSchema = z
  .string({ error: 'module_name must be a string' })
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'module_name must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  .refine(name => !/^\.+$/.test(name), { error: 'module_name must not be only dots' });

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

/** `module.json` at the root of an RS 8.x artifact zip. Extra metadata (author, license…) is kept. */
export const moduleManifestSchema = z.looseObject({
  module_name: moduleNameSchema,
  version: moduleVersionSchema,
  semantic_version: z.string({ error: 'semantic_version must be a string' }).min(1),
  min_redis_version: z.string({ error: 'min_redis_version must be a string' }),
  commands: z.array(commandSchema, { error: 'commands must be an array of command objects' }),
  capabilities: z.array(z.string(), { error: 'capabilities must be an array of strings' }),
  dependencies: z.array(z.string(), { error: 'dependencies must be an array of strings' }).optional(),
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
