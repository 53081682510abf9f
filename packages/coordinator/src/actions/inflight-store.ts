import { defineRedisCommands, type RedisKeys } from '@modfleet/common';
import type { Redis, Result } from 'ioredis';

/**
 * Dedupe keys of running pushes: a key is held by one action until its finalizer releases it,
 * so identical requests meanwhile share that action.
 */
export interface InflightStore {
  /**
   * Claims `dedupeKey` for `actionUid`, atomically: returns the uid of the action that holds it
   * while `isRunning` says that action still runs, or undefined once the key is ours.
   */
  claim(
    dedupeKey: string,
    actionUid: string,
    isRunning: (holder: string) => Promise<boolean>,
  ): Promise<string | undefined>;
  /** Frees the key, unless another action holds it by now. */
  release(dedupeKey: string, actionUid: string): Promise<void>;
}

export const INFLIGHT_TTL_S = 7 * 24 * 3600;

const TAKE_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: the key moved from `holder` to `actionUid`; 0: someone else holds it by now. */
    takeOverInflight(key: string, holder: string, actionUid: string, ttlSeconds: string): Result<number, Context>;
    releaseInflight(key: string, actionUid: string): Result<number, Context>;
  }
}

/** One string key per dedupe key, with a week's TTL in case a finalizer never runs. */
export function createRedisInflightStore(redis: Redis, keys: RedisKeys): InflightStore {
  defineRedisCommands(redis, {
    takeOverInflight: { numberOfKeys: 1, lua: TAKE_OVER },
    releaseInflight: { numberOfKeys: 1, lua: RELEASE },
  });
  return {
    async claim(dedupeKey, actionUid, isRunning) {
      const key = keys.fleetInflight(dedupeKey);
      for (;;) {
        if ((await redis.set(key, actionUid, 'EX', INFLIGHT_TTL_S, 'NX')) === 'OK') return undefined;
        const holder = await redis.get(key);
        if (!holder) continue;
        if (await isRunning(holder)) return holder;
        // The holder finished (or was trimmed) without releasing the key: take it over unless someone else just did.
        if ((await redis.takeOverInflight(key, holder, actionUid, String(INFLIGHT_TTL_S))) === 1) return undefined;
      }
    },
    async release(dedupeKey, actionUid) {
      await redis.releaseInflight(keys.fleetInflight(dedupeKey), actionUid);
    },
  };
}
