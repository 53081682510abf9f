import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UserStore } from '../users/user-store.js';
import { toPublicUser, type PublicUser } from '../users/user-types.js';
import { UserLockedError, type LockoutPolicy, type LoginLockout } from './login-lockout.js';
import { UNMATCHABLE_HASH, verifyPassword } from './password-hash.js';

export interface Authenticator {
  /** The user these credentials belong to, or undefined when they are wrong; throws UserLockedError for a locked user. */
  verify(email: string, password: string): Promise<PublicUser | undefined>;
  /** Forget every cached verification (a user was created, changed or deleted). */
  invalidate(): void;
}

interface CachedVerification {
  passwordDigest: Buffer;
  user: PublicUser;
  expiresAt: number;
}

export interface AuthenticatorOptions {
  users: Pick<UserStore, 'findByEmail'>;
  /** How long a verified email+password is trusted without another scrypt. */
  cacheTtlMs?: number;
  maxCachedUsers?: number;
  now?: () => number;
  /** Lock a user after repeated failed logins (RS login lockout); absent: never locked. */
  lockout?: { store: LoginLockout; policy: () => Promise<LockoutPolicy>; onLocked?: (email: string) => void };
  /** scrypt verification; replaced only by unit tests. */
  checkPassword?: (password: string, encodedHash: string) => Promise<boolean>;
}

/**
 * scrypt costs tens of milliseconds by design, so verified credentials are cached briefly.
 * The cache holds an HMAC of the password under a key that never leaves this process,
 * never the password itself.
 */
export function createAuthenticator({
  users,
  cacheTtlMs = 60_000,
  maxCachedUsers = 10_000,
  now = Date.now,
  lockout,
  checkPassword = verifyPassword,
}: AuthenticatorOptions): Authenticator {
  const cacheKey = randomBytes(32);
  const cache = new Map<string, CachedVerification>();
  let generation = 0;
  const digest = (password: string) => createHmac('sha256', cacheKey).update(password).digest();

  /** Concurrent checks of the same cold credentials share one scrypt instead of each paying for it. */
  const inFlight = new Map<string, Promise<PublicUser | undefined>>();

  async function verifySlowly(normalized: string, password: string): Promise<PublicUser | undefined> {
    const startedIn = generation;
    const record = await users.findByEmail(normalized);
    // An unknown email pays the same scrypt as a wrong password, so timing does not tell which emails exist.
    const matches = await checkPassword(password, record?.password_hash ?? UNMATCHABLE_HASH);
    if (!record || !matches) return undefined;
    const user = toPublicUser(record);
    // A user change that landed while we were hashing may have made this record stale.
    if (startedIn === generation) {
      if (cache.size >= maxCachedUsers) cache.clear();
      cache.set(normalized, { passwordDigest: digest(password), user, expiresAt: now() + cacheTtlMs });
    }
    return user;
  }

  return {
    async verify(email, password) {
      const normalized = email.trim().toLowerCase();
      const passwordDigest = digest(password);
      const cached = cache.get(normalized);
      if (cached && cached.expiresAt > now() && timingSafeEqual(cached.passwordDigest, passwordDigest)) {
        return cached.user;
      }
      // A lock drops every service's cache (it is announced like a user change), so only a cache miss asks Redis.
      // Unknown emails are counted and locked like known ones: a lock says nothing about who exists.
      if (lockout && (await lockout.store.isLocked(normalized))) throw new UserLockedError();
      const key = `${generation}\0${normalized}\0${passwordDigest.toString('hex')}`;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = verifySlowly(normalized, password).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const user = await pending;
      // Counted per request, outside the shared check: each concurrent wrong attempt is one attempt.
      if (lockout) {
        if (user) await lockout.store.recordSuccess(normalized);
        else if (await lockout.store.recordFailure(normalized, await lockout.policy())) lockout.onLocked?.(normalized);
      }
      return user;
    },
    invalidate() {
      generation += 1;
      cache.clear();
    },
  };
}
