import type { NodeHostFacts } from '@modfleet/common';
import { z } from 'zod';

const label = z.string().max(256);
const count = z.number().int().min(0);

/** The host facts an agent reports at registration (they end up in GET /v1/nodes). */
// Unknown keys are dropped, not refused: a newer agent must still be able to join an older coordinator.
export const hostFactsSchema = z.object({
  architecture: label,
  cores: count,
  total_memory: count,
  os_family: label,
  os_name: label,
  os_semantic_version: label,
  os_version: label,
  boot_time: z.iso.datetime(),
  software_version: label,
  persistent_storage_path: z.string().max(4096),
  persistent_storage_size: count,
  ephemeral_storage_path: z.string().max(4096),
  ephemeral_storage_size: count,
  supported_database_versions: z
    .array(z.strictObject({ db_type: z.literal('redis'), version: label, redis_version: label }))
    .max(16),
}) satisfies z.ZodType<NodeHostFacts>;
