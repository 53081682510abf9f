import type { Redis } from 'ioredis';
import { UnauthorizedError } from '../errors.js';
import { luaScript } from '../lua-script.js';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../redis-keys.js';

/** RS's cluster settings for user login lockout, in seconds as RS gives them. */
export interface LockoutPolicy {
  /** Failed logins that lock the user; 0 turns lockout off. */
  login_lockout_threshold: number;
  /** How long a locked user stays locked; 0: until an admin resets the password. */
  login_lockout_duration: number;
  /** Seconds without a failed login after which the count starts again from 0. */
  login_lockout_counter_reset_after: number;
}

export const LOCKOUT_DEFAULTS: LockoutPolicy = {
  login_lockout_threshold: 5,
  login_lockout_duration: 1800,
  login_lockout_counter_reset_after: 900,
};

/** 401 with its own error_code: the credentials may be right, the user is locked out for now. */
export class UserLockedError extends UnauthorizedError {
  constructor() {
    super(
      'This user is locked after too many failed logins; wait for the lockout to end, or ask an admin to reset the password',
      'user_locked',
    );
  }
}

/** Failed-login counts and locks, per lower-cased email, shared by every service through Redis. */
export interface LoginLockout {
  isLocked(email: string): Promise<boolean>;
  /** Counts a failed login; true when it locked the user. */
  recordFailure(email: string, policy: LockoutPolicy): Promise<boolean>;
  /** A good login: the count starts again. */
  recordSuccess(email: string): Promise<void>;
  /** An admin reset the password: unlocked, count cleared. */
  unlock(email: string): Promise<void>;
  /** Which of these emails are locked right now. */
  lockedAmong(emails: string[]): Promise<Set<string>>;
}

/**
 * KEYS: failures counter, lock. ARGV: threshold, counter reset (ms), lock duration (ms, 0 = until
 * unlocked). The count expires `reset` after the last failure; reaching the threshold swaps it for the lock.
 */
const RECORD_FAILURE = luaScript(`
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if failures < tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) else redis.call('SET', KEYS[2], '1') end
return 1`);

export function createRedisLoginLockout(redis: Redis, keys: RedisKeys): LoginLockout {
  return {
    async isLocked(email) {
      return (await redis.exists(keys.loginLocked(email))) === 1;
    },
    async recordFailure(email, policy) {
      if (policy.login_lockout_threshold <= 0) return false;
      const locked =
        (await RECORD_FAILURE.run(
          redis,
          [keys.loginFailures(email), keys.loginLocked(email)],
          [
            String(policy.login_lockout_threshold),
            String(Math.max(1, policy.login_lockout_counter_reset_after) * 1000),
            String(policy.login_lockout_duration * 1000),
          ],
        )) === 1;
      // Every service drops its verified-login cache, so a locked user's cached login stops working too.
      if (locked) await redis.publish(keys.usersChanged, 'locked');
      return locked;
    },
    async recordSuccess(email) {
      await redis.del(keys.loginFailures(email));
    },
    async unlock(email) {
      await redis.del(keys.loginFailures(email), keys.loginLocked(email));
    },
    async lockedAmong(emails) {
      if (emails.length === 0) return new Set();
      const pipeline = redis.pipeline();
      for (const email of emails) pipeline.exists(keys.loginLocked(email));
      const answers = (await pipeline.exec()) ?? [];
      return new Set(emails.filter((_email, i) => answers[i]?.[1] === 1));
    },
  };
}

/** The operator's line when a user gets locked (the email only: never a password). */
export function logLocked(logger: Pick<Logger, 'warn'>, email: string): void {
  logger.warn({ email }, 'user locked after too many failed logins (login_lockout_threshold)');
}
