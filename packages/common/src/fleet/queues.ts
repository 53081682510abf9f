import { z } from 'zod';
import { moduleNameSchema, moduleVersionSchema } from '../artifacts/module-schemas.js';
import { blobSourceSchema, piecePlanSchema } from '../pieces/relay-payload.js';

/** The coordinator's queue of action (parent) jobs. */
export const ACTIONS_QUEUE = 'actions';

/** One BullMQ queue per node, so a node that is down keeps its own backlog. */
export function nodeQueueName(nodeUid: number): string {
  return `node-${nodeUid}`;
}

/** The job id of an action's op on its node queue: unique per action and op, so a retried dispatch never doubles it. */
export const childJobId = (actionUid: string, opKey: string) => `${actionUid}-${opKey}`;

export const ARTIFACT_OPS = ['install', 'delete'] as const;
export type ArtifactOpKind = (typeof ARTIFACT_OPS)[number];

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

/** A node job's payload: ids and where to fetch bytes, never the bytes themselves. */
export const artifactJobSchema = z.object({
  action_uid: z.string().min(1),
  op_key: z.string().min(1),
  node_uid: z.number().int().positive(),
  op: z.enum(ARTIFACT_OPS),
  module_name: moduleNameSchema,
  version: moduleVersionSchema,
  sha256: sha256Schema.optional(),
  size: z.number().int().nonnegative().optional(),
  /** Path of the blob on the coordinator, resolved against the agent's coordinator URL. */
  url: z.string().startsWith('/').optional(),
  /** Replace different bytes already on the node (sync); a plain push refuses to overwrite. */
  replace: z.boolean().optional(),
  /** Relayed installs: the piece layout and the sources to pull from, best first (origin last). */
  pieces: piecePlanSchema.optional(),
  sources: z.array(blobSourceSchema).max(16).optional(),
});
export type ArtifactJob = z.infer<typeof artifactJobSchema>;

/** Retries for node jobs: a download can fail while the coordinator restarts. */
export const NODE_JOB_ATTEMPTS = 5;
export const NODE_JOB_BACKOFF = { type: 'exponential', delay: 1000 } as const;
/**
 * Finished jobs are trimmed: the action records keep the outcome (a child's result stays in its
 * parent's `processed` set, which the finalizer reads). Failed jobs are kept a while for the queue
 * dashboard.
 */
export const FINISHED_JOB_RETENTION = {
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 100 },
} as const;

/** Each queue's event stream is capped (BullMQ's default is 10,000 entries per queue). */
export const QUEUE_EVENTS_MAX_LEN = 500;
