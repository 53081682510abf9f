import type { LockoutPolicy } from './login-lockout.js';

interface DecoyEntry {
  failures: number;
  resetAt: number;
  lockedUntil: number;
}

/**
 * Lockout for emails that are no user, kept in this process only and bounded in size: the
 * answers look like a real user's (a lock says nothing about who exists), while nothing an
 * outsider sends is written to Redis or flushes any cache.
 */
export function createDecoyLockout(maxEntries = 10_000, now: () => number = Date.now) {
  const entries = new Map<string, DecoyEntry>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.lockedUntil <= now() && entry.resetAt <= now()) entries.delete(key);
    return entries.get(key);
  };
  return {
    isLocked: (key: string) => (live(key)?.lockedUntil ?? 0) > now(),
    recordFailure(key: string, policy: LockoutPolicy): boolean {
      if (policy.login_lockout_threshold <= 0) return false;
      const entry = live(key) ?? { failures: 0, resetAt: 0, lockedUntil: 0 };
      entry.failures += 1;
      entry.resetAt = now() + Math.max(1, policy.login_lockout_counter_reset_after) * 1000;
      const locked = entry.failures >= policy.login_lockout_threshold;
      if (locked) {
        entry.failures = 0;
        entry.lockedUntil = now() + (policy.login_lockout_duration || 24 * 3600) * 1000;
      }
      entries.delete(key); // re-inserted last: the oldest entry goes first when full
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, entry);
      return locked;
    },
    get size() {
      return entries.size;
    },
  };
}
