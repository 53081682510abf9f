import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

/**
 * The part of a Redis connection the CCS marker and its restore use, for unit tests: GET, SET with
 * NX over a Map (`data`, to look at or change what is stored) and the connection's events ('ready').
 */
export function fakeStringRedis(): Redis & { data: Map<string, string> } {
  const data = new Map<string, string>();
  const redis = Object.assign(new EventEmitter(), {
    data,
    get: (key: string) => Promise.resolve(data.get(key) ?? null),
    set: (key: string, value: string, nx?: string) => {
      if (nx === 'NX' && data.has(key)) return Promise.resolve(null);
      data.set(key, value);
      return Promise.resolve('OK');
    },
  });
  return redis as unknown as Redis & { data: Map<string, string> };
}
