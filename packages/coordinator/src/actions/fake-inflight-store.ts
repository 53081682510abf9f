import type { InflightStore } from './inflight-store.js';

/** Dedupe keys in memory, for unit tests; `held` maps each key to the action holding it. */
export function createFakeInflightStore(): InflightStore & { held: Map<string, string> } {
  const held = new Map<string, string>();
  return {
    held,
    async claim(dedupeKey, actionUid, isRunning) {
      for (;;) {
        const holder = held.get(dedupeKey);
        if (holder !== undefined && (await isRunning(holder))) return holder;
        // Another claim may have taken the key while isRunning was asked: look again, as the Redis store does.
        if (held.get(dedupeKey) !== holder) continue;
        held.set(dedupeKey, actionUid);
        return undefined;
      }
    },
    release(dedupeKey, actionUid) {
      if (held.get(dedupeKey) === actionUid) held.delete(dedupeKey);
      return Promise.resolve();
    },
  };
}
