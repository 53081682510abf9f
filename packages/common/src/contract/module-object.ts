import type { ModuleDefinition } from '../artifacts/module-schemas.js';

/** RS module object (GET /v1/modules, POST /v2/modules/user-defined): the definition plus the fields RS fills in. */
export type ModuleObject = ModuleDefinition & {
  uid: string;
  author: string;
  description: string;
  email: string;
  homepage: string;
  license: string;
  capability_name: string;
  compatible_redis_version: string;
  config_command: string;
  module_file: string;
  crdb: Record<string, unknown>;
  dependencies: Record<string, unknown>;
  is_bundled: boolean;
  bigstore_version_2_support: boolean;
};
