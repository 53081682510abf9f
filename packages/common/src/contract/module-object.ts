import { z } from 'zod';
import {
  dependencySources,
  moduleDefinitionSchema,
  moduleDependenciesSchema,
  type ModuleDependencies,
  type ModuleDefinition,
} from '../artifacts/module-schemas.js';

/** RS module object (GET /v1/modules, POST /v2/modules/user-defined): the definition plus every field RS documents. */
export type ModuleObject = ModuleDefinition & {
  uid: string;
  author: string;
  bigstore_version_2_support: boolean;
  capability_name: string;
  compatible_redis_version: string;
  config_command: string;
  crdb: Record<string, unknown>;
  dependencies: Record<string, unknown>;
  description: string;
  email: string;
  homepage: string;
  is_bundled: boolean;
  license: string;
  module_file: string;
  /** Deprecated in RS; kept for clients that still read it. */
  sha256: string;
};

/** What RS shows for a field nobody gave: empty strings and objects, no flash support, not bundled. */
export const MODULE_OBJECT_DEFAULTS = {
  author: '',
  bigstore_version_2_support: false,
  capability_name: '',
  compatible_redis_version: '',
  config_command: '',
  crdb: {},
  dependencies: {},
  description: '',
  email: '',
  homepage: '',
  is_bundled: false,
  license: '',
  module_file: '',
  sha256: '',
} as const satisfies Partial<ModuleObject>;

const text = (field: string) => z.string({ error: `${field} must be a string` }).optional();

/**
 * Body of POST /v2/modules/user-defined: the eight required fields, and RS's optional metadata
 * with its types. `dependencies` may be in any shape module.json writes it (RAMP's too), so a
 * manifest can be sent as it is.
 */
export const moduleObjectBodySchema = moduleDefinitionSchema.extend({
  author: text('author'),
  capability_name: text('capability_name'),
  compatible_redis_version: text('compatible_redis_version'),
  config_command: text('config_command'),
  description: text('description'),
  email: text('email'),
  homepage: text('homepage'),
  license: text('license'),
  module_file: text('module_file'),
  sha256: text('sha256'),
  bigstore_version_2_support: z.boolean({ error: 'bigstore_version_2_support must be a boolean' }).optional(),
  crdb: z.record(z.string(), z.unknown(), { error: 'crdb must be an object' }).optional(),
  dependencies: moduleDependenciesSchema.optional(),
});

/**
 * The object as RS shows it, from what was given (a POST body, or a stored object written before
 * a field existed): RS's defaults under it, the fields only the cluster sets (uid, is_bundled)
 * over it, and module.json's dependency names as RS's dependency object.
 */
export function toModuleObject(given: ModuleDefinition & Record<string, unknown>, uid: string): ModuleObject {
  const dependencies =
    given.dependencies === undefined ? undefined : dependencySources(given.dependencies as ModuleDependencies);
  return {
    ...MODULE_OBJECT_DEFAULTS,
    ...given,
    ...(dependencies !== undefined && { dependencies }),
    uid,
    is_bundled: false,
  };
}
