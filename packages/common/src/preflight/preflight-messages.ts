import { z } from 'zod';
import type { ShardModule } from '../contract/bdb-object.js';
import type { ShardPreflight, ShardRef } from '../contract/bdb-upgrade.js';

/**
 * What the coordinator asks one hosting node (`node:<uid>:preflight:requests`): rehearse the upgrade
 * of these shards. The agent reads each shard's port and current modules from its own plan.
 */
export interface PreflightRequest {
  request_id: string;
  node_uid: number;
  shards: PreflightShardRequest[];
  rehearse_rollback: boolean;
  /** How long the coordinator waits for the answer, from when it sent the request. */
  timeout_ms: number;
  /** ms since epoch, the coordinator's clock: for logs only (the nodes' clocks may differ). */
  sent_at: number;
}

/** One shard of a request: what to load, and where the copy of its data comes from. */
export interface PreflightShardRequest {
  shard_uid: number;
  target: ShardModule[];
  /**
   * With `rehearse_rollback`: false when another shard with the same data (the replica) rehearses
   * for the database; absent: true.
   */
  rehearse?: boolean;
  /** Copy the data from this shard (an in-sync replica of this one) rather than from this shard itself. */
  copy_from?: ShardRef & { host: string; port: number };
}

/** One node's answer (a field of `preflight:<request_id>:answers`). */
export interface PreflightAnswer {
  node_uid: number;
  shards: ShardPreflight[];
}

const shardModuleSchema = z.object({
  module_name: z.string(),
  version: z.number().int(),
  module_args: z.string(),
});

const shardRefSchema = z.object({ node_uid: z.number().int(), shard_uid: z.number().int() });

const requestSchema = z.object({
  request_id: z.string().min(1),
  node_uid: z.number().int(),
  shards: z.array(
    z.object({
      shard_uid: z.number().int(),
      target: z.array(shardModuleSchema),
      rehearse: z.boolean().optional(),
      copy_from: shardRefSchema.extend({ host: z.string().min(1), port: z.number().int().positive() }).optional(),
    }),
  ),
  rehearse_rollback: z.boolean(),
  timeout_ms: z.number().int().positive(),
  sent_at: z.number(),
});

const stepSchema = z.object({ ok: z.boolean(), error: z.string().optional() });

const answerSchema = z.object({
  node_uid: z.number().int(),
  shards: z.array(
    z.object({
      node_uid: z.number().int(),
      shard_uid: z.number().int(),
      role: z.enum(['master', 'slave']),
      load: stepSchema,
      data: stepSchema.extend({ keys: z.number().int().optional(), copied_from: shardRefSchema.optional() }),
      rollback: z
        .object({ possible: z.boolean(), error: z.string().optional(), rehearsed_by: shardRefSchema.optional() })
        .optional(),
      duration_ms: z.number(),
    }),
  ),
});

/** A request read back from Redis; undefined when it is not one (a foreign or damaged entry). */
export function parsePreflightRequest(json: string): PreflightRequest | undefined {
  try {
    const parsed = requestSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** An answer read back from Redis; undefined when it is not one. */
export function parsePreflightAnswer(json: string): PreflightAnswer | undefined {
  try {
    const parsed = answerSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
