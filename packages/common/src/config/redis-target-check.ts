import type { z } from 'zod';

type RedisVariables = {
  REDIS_SENTINELS?: unknown;
  REDIS_SENTINEL_MASTER?: unknown;
  REDIS_SENTINEL_PASSWORD?: unknown;
  REDIS_CLUSTER_NODES?: unknown;
};

/**
 * The Redis variables that only make sense together (or apart). `when` makes zod report these
 * even when other variables are bad too.
 */
export function withRedisTargetCheck<Schema extends z.ZodObject>(schema: Schema): Schema {
  const always = { when: () => true };
  const vars = (v: unknown) => v as RedisVariables;
  return schema
    .refine(v => !vars(v).REDIS_SENTINELS || Boolean(vars(v).REDIS_SENTINEL_MASTER), {
      ...always,
      path: ['REDIS_SENTINEL_MASTER'],
      message: 'REDIS_SENTINELS needs REDIS_SENTINEL_MASTER, the name of the master they monitor',
    })
    .refine(v => !vars(v).REDIS_SENTINEL_MASTER || Boolean(vars(v).REDIS_SENTINELS), {
      ...always,
      path: ['REDIS_SENTINELS'],
      message: 'REDIS_SENTINEL_MASTER needs REDIS_SENTINELS, the Sentinels to ask for it',
    })
    .refine(v => !vars(v).REDIS_SENTINEL_PASSWORD || Boolean(vars(v).REDIS_SENTINELS), {
      ...always,
      path: ['REDIS_SENTINEL_PASSWORD'],
      message: 'REDIS_SENTINEL_PASSWORD is for REDIS_SENTINELS, which is not set',
    })
    .refine(v => !vars(v).REDIS_SENTINELS || !vars(v).REDIS_CLUSTER_NODES, {
      ...always,
      path: ['REDIS_CLUSTER_NODES'],
      message: 'REDIS_CLUSTER_NODES and REDIS_SENTINELS exclude each other: Redis Cluster fails over by itself',
    });
}
