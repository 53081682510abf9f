import { createHash } from 'node:crypto';
import type { ShardPlan } from '../contract/bdb-object.js';

/**
 * A short name for one shard plan as the coordinator wrote it: the agent reports the digest of
 * the plan its process runs under, so the coordinator knows when a changed plan is in effect.
 * Both sides hash the JSON text of the plan object as parsed (key order is kept by JSON).
 */
export const shardPlanDigest = (plan: ShardPlan): string =>
  createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 16);

/** The plan without its role: two plans equal here differ only by master/replica (no restart needed). */
export function sameBesidesRole(a: ShardPlan, b: ShardPlan): boolean {
  const strip = ({ role: _role, replica_of: _of, ...rest }: ShardPlan) => JSON.stringify(rest);
  return strip(a) === strip(b);
}
