import { BadRequestError, type BdbUpgradeRequest } from '@modfleet/common';
import { z } from 'zod';
import type { UpgradeAsk } from './upgrade-target.js';

const moduleChange = z.object({ module_name: z.string().min(1), new_module_args: z.string().optional() });

const upgradeSchema = z.object({
  redis_version: z.string().optional(),
  modules: z.array(moduleChange).optional(),
  preserve_roles: z.boolean().optional(),
  may_discard_data: z.boolean().optional(),
  force_discard: z.boolean().optional(),
  force_restart: z.boolean().optional(),
  parallel_shards_upgrade: z.number().int().min(0).optional(),
  modfleet_require_rollback: z.boolean().optional(),
  modfleet_rollback: z.boolean().optional(),
});

/** RS's deprecated `POST /v1/modules/upgrade/bdb/<uid>` body. */
const legacySchema = z.object({
  modules: z
    .array(
      z.object({
        module_name: z.string().min(1),
        current_semantic_version: z.string().optional(),
        new_module: z.string().optional(),
        new_module_args: z.string().optional(),
      }),
    )
    .min(1),
  preserve_roles: z.boolean().optional(),
  may_discard_data: z.boolean().optional(),
});

function badRequest(error: z.ZodError): BadRequestError {
  const issue = error.issues[0];
  const where = issue?.path.join('.') || 'body';
  return new BadRequestError('invalid_schema', `${where}: ${issue?.message ?? 'invalid'}`);
}

/** A POST /v1/bdbs/<uid>/upgrade body, checked (an absent body asks for a plain upgrade). */
export function parseUpgradeRequest(body: unknown): BdbUpgradeRequest {
  const parsed = upgradeSchema.safeParse(body ?? {});
  if (!parsed.success) throw badRequest(parsed.error);
  return parsed.data;
}

/**
 * The deprecated route's body as the upgrade it asks for: each named module to its newest fitting
 * version unless `new_module` names one (a module uid), checked by the same rules: an older one is
 * refused `module_downgrade_unsupported`).
 */
export function parseLegacyUpgradeRequest(body: unknown): UpgradeAsk {
  const parsed = legacySchema.safeParse(body ?? {});
  if (!parsed.success) throw badRequest(parsed.error);
  const { modules, preserve_roles, may_discard_data } = parsed.data;
  return {
    modules: modules.map(m => ({
      module_name: m.module_name,
      ...(m.new_module_args !== undefined && { new_module_args: m.new_module_args }),
      ...(m.new_module !== undefined && { new_module: m.new_module }),
    })),
    ...(preserve_roles !== undefined && { preserve_roles }),
    ...(may_discard_data !== undefined && { may_discard_data }),
  };
}
