import type { Redis, Result } from 'ioredis';
import { UnauthorizedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { defineRedisCommands } from '../redis-commands.js';
import type { RedisKeys } from '../redis-keys.js';

/** RS's cluster settings for user login lockout, in seconds as RS gives them. */
export interface LockoutPolicy {
  /** Failed logins that lock the user; 0 turns lockout off. */
  login_lockout_threshold: number;
  /** How long a locked user stays locked; 0: until an admin resets the password (at most LOCK_CAP_MS). */
  login_lockout_duration: number;
  /** Seconds without a failed login after which the count starts again from 0. */
  login_lockout_counter_reset_after: number;
}

export const LOCKOUT_DEFAULTS: LockoutPolicy = {
  login_lockout_threshold: 5,
  login_lockout_duration: 1800,
  login_lockout_counter_reset_after: 900,
};

/** A lock "until reset" still ends: every key an unauthenticated caller makes us write must. */
export const LOCK_CAP_MS = 30 * 24 * 3600_000;

/** 401 with its own error_code: the credentials may be right, the user is locked out for now. */
export class UserLockedError extends UnauthorizedError {
  constructor() {
    super(
      'This user is locked after too many failed logins; wait for the lockout to end, or ask an admin to reset the password',
      'user_locked',
    );
  }
}

/**
 * Failed-login counts and locks of one user's email, per client address, shared by every
 * service through Redis. Per address: an outsider who keeps failing locks out only their own
 * address, never the real user elsewhere.
 */
export interface LoginLockout {
  isLocked(email: string, client: string): Promise<boolean>;
  /** Counts a failed login; true when it locked the email for that client. */
  recordFailure(email: string, client: string, policy: LockoutPolicy): Promise<boolean>;
  /** A good login: that client's count starts again. */
  recordSuccess(email: string, client: string): Promise<void>;
  /** An admin reset the password: unlocked for every client, counts cleared. */
  unlock(email: string): Promise<void>;
  /** Which of these emails are locked right now for some client. */
  lockedAmong(emails: string[]): Promise<Set<string>>;
}

/**
 * KEYS: failures counter, lock, clients set. ARGV: threshold, counter reset (ms), lock (ms), client.
 * The count expires `reset` after the last failure; reaching the threshold swaps it for the lock.
 */
const RECORD_FAILURE = `
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
local ttl = tonumber(ARGV[2])
local locked = 0
if failures >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  ttl = math.max(ttl, tonumber(ARGV[3]))
  locked = 1
end
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return locked`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: this failure locked the email for the client. */
    recordLoginFailure(
      failures: string,
      lock: string,
      clients: string,
      threshold: string,
      resetMs: string,
      lockMs: string,
      client: string,
    ): Result<number, Context>;
  }
}

/** One line per client address, however it was spelled (`::ffff:10.0.0.1` is 10.0.0.1), never long. */
export const clientKey = (address: string | undefined) => (address ?? 'unknown').replace(/^::ffff:/, '').slice(0, 64);

export function createRedisLoginLockout(redis: Redis, keys: RedisKeys): LoginLockout {
  defineRedisCommands(redis, { recordLoginFailure: { numberOfKeys: 3, lua: RECORD_FAILURE } });
  const clientsOf = (email: string) => redis.smembers(keys.loginClients(email));
  return {
    async isLocked(email, client) {
      return (await redis.exists(keys.loginLocked(email, client))) === 1;
    },
    async recordFailure(email, client, policy) {
      if (policy.login_lockout_threshold <= 0) return false;
      const lockMs = policy.login_lockout_duration > 0 ? policy.login_lockout_duration * 1000 : LOCK_CAP_MS;
      const locked =
        (await redis.recordLoginFailure(
          keys.loginFailures(email, client),
          keys.loginLocked(email, client),
          keys.loginClients(email),
          String(policy.login_lockout_threshold),
          String(Math.max(1, policy.login_lockout_counter_reset_after) * 1000),
          String(Math.min(lockMs, LOCK_CAP_MS)),
          client,
        )) === 1;
      // Every service drops its verified-login cache, so a cached login from that client stops working too.
      if (locked) await redis.publish(keys.usersChanged, 'locked');
      return locked;
    },
    async recordSuccess(email, client) {
      await redis.del(keys.loginFailures(email, client));
    },
    async unlock(email) {
      const clients = await clientsOf(email);
      const owned = clients.flatMap(client => [keys.loginFailures(email, client), keys.loginLocked(email, client)]);
      await redis.del(keys.loginClients(email), ...owned);
    },
    async lockedAmong(emails) {
      const locked = new Set<string>();
      for (const email of emails) {
        const clients = await clientsOf(email);
        if (clients.length === 0) continue;
        const present = await redis.exists(...clients.map(client => keys.loginLocked(email, client)));
        if (present > 0) locked.add(email);
      }
      return locked;
    },
  };
}

/** The operator's line when a user gets locked (the email and address only: never a password). */
export function logLocked(logger: Pick<Logger, 'warn'>, email: string, client?: string): void {
  logger.warn(
    { email, client },
    'user locked for a client address after too many failed logins (login_lockout_threshold)',
  );
}
