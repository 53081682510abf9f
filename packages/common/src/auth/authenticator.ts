import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TooManyRequestsError } from '../errors.js';
import type { UserStore } from '../users/user-store.js';
import { toPublicUser, type PublicUser } from '../users/user-types.js';
import { createDecoyLockout } from './decoy-lockout.js';
import { UserLockedError, type LockoutPolicy, type LoginLockout } from './login-lockout.js';
import { UNMATCHABLE_HASH, verifyPassword } from './password-hash.js';

export interface Authenticator {
  /**
   * The user these credentials belong to, or undefined when they are wrong; throws UserLockedError
   * when the email is locked for `client` (the caller's address: clientKey).
   */
  verify(email: string, password: string, client?: string): Promise<PublicUser | undefined>;
  /** Forget every cached verification (a user was created, changed or deleted). */
  invalidate(): void;
}

/** RS's longest email: a longer one is no user, and is refused before any work or write. */
export const MAX_EMAIL_LENGTH = 254;

interface Verification {
  user: PublicUser | undefined;
  /** The email is a user's (whether or not the password matched). */
  known: boolean;
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
  lockout?: {
    store: LoginLockout;
    policy: () => Promise<LockoutPolicy>;
    onLocked?: (email: string, client: string) => void;
  };
  /** Password checks (scrypt) running at once; a login beyond them is answered 429 at once, not queued. */
  maxHashesInFlight?: number;
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
  maxHashesInFlight = 8,
  checkPassword = verifyPassword,
}: AuthenticatorOptions): Authenticator {
  const cacheKey = randomBytes(32);
  const cache = new Map<string, CachedVerification>();
  let generation = 0;
  const digest = (password: string) => createHmac('sha256', cacheKey).update(password).digest();

  /** Concurrent checks of the same cold credentials share one scrypt instead of each paying for it. */
  const inFlight = new Map<string, Promise<Verification>>();

  const decoys = createDecoyLockout();

  async function verifySlowly(normalized: string, password: string): Promise<Verification> {
    const startedIn = generation;
    const record = await users.findByEmail(normalized);
    // An unknown email pays the same scrypt as a wrong password, so timing does not tell which emails exist.
    const matches = await checkPassword(password, record?.password_hash ?? UNMATCHABLE_HASH);
    if (!record || !matches) return { user: undefined, known: record !== undefined };
    const user = toPublicUser(record);
    // A user change that landed while we were hashing may have made this record stale.
    if (startedIn === generation) {
      if (cache.size >= maxCachedUsers) cache.clear();
      cache.set(normalized, { passwordDigest: digest(password), user, expiresAt: now() + cacheTtlMs });
    }
    return { user, known: true };
  }

  async function countAttempt(normalized: string, client: string, { user, known }: Verification): Promise<void> {
    if (!lockout) return;
    if (user) return lockout.store.recordSuccess(normalized, client);
    const policy = await lockout.policy();
    if (!known) {
      decoys.recordFailure(`${normalized}\0${client}`, policy);
      return;
    }
    if (await lockout.store.recordFailure(normalized, client, policy)) lockout.onLocked?.(normalized, client);
  }

  return {
    async verify(email, password, client = '') {
      if (email.length > MAX_EMAIL_LENGTH) return undefined;
      const normalized = email.trim().toLowerCase();
      const passwordDigest = digest(password);
      const cached = cache.get(normalized);
      if (cached && cached.expiresAt > now() && timingSafeEqual(cached.passwordDigest, passwordDigest)) {
        return cached.user;
      }
      // A lock drops every service's cache (it is announced like a user change), so only a cache miss asks Redis.
      // Emails that are no user lock in this process only: a lock says nothing about who exists.
      if (
        lockout &&
        (decoys.isLocked(`${normalized}\0${client}`) || (await lockout.store.isLocked(normalized, client)))
      ) {
        throw new UserLockedError();
      }
      const key = `${generation}\0${normalized}\0${passwordDigest.toString('hex')}`;
      let pending = inFlight.get(key);
      if (!pending) {
        // Anyone may send logins without knowing a password: a queue of hashes would delay every real one.
        if (inFlight.size >= maxHashesInFlight) {
          throw new TooManyRequestsError('too_many_logins', 'Too many sign-ins are being checked right now; try again');
        }
        pending = verifySlowly(normalized, password).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const verification = await pending;
      // Counted per request, outside the shared check: each concurrent wrong attempt is one attempt.
      await countAttempt(normalized, client, verification);
      return verification.user;
    },
    invalidate() {
      generation += 1;
      cache.clear();
    },
  };
}
