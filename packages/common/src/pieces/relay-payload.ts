import { z } from 'zod';

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * How an artifact is cut for relaying: a fixed piece size and one sha256 per piece, inline
 * for small artifacts or, when the list would bloat every job (a 1 GiB artifact has 4096 pieces,
 * 270 KiB of hex), a coordinator path to fetch it from.
 */
export const piecePlanSchema = z
  .object({
    size: z.number().int().positive(),
    count: z.number().int().positive(),
    hashes: z.array(sha256Schema).optional(),
    list_url: z.string().startsWith('/').optional(),
  })
  .refine(plan => plan.hashes === undefined || plan.hashes.length === plan.count, {
    message: 'hashes must list exactly count pieces',
  })
  .refine(plan => plan.hashes !== undefined || plan.list_url !== undefined, {
    message: 'either hashes or list_url is required',
  });
export type PiecePlan = z.infer<typeof piecePlanSchema>;

/**
 * One place to fetch from, best first: `id` is `node:<uid>` or `origin`; `url` is a peer's
 * absolute URL or the coordinator's blob path. Requests to it are signed when made, so a job
 * that waits in a queue for days never carries a stale signature.
 */
export const blobSourceSchema = z.object({ id: z.string().min(1).max(64), url: z.string().min(1).max(2048) });
export type BlobSource = z.infer<typeof blobSourceSchema>;

/** What a node's op reports about where its bytes came from, in the order used. */
export interface SourceUse {
  source: string;
  bytes: number;
  /** When the first and the last byte counted in `bytes` arrived from this source (ISO 8601): a slow hop shows. */
  first_byte_at?: string | undefined;
  last_byte_at?: string | undefined;
}
