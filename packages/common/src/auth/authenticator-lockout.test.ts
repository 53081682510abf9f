import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../users/user-types.js';
import { createAuthenticator } from './authenticator.js';
import { LOCKOUT_DEFAULTS, UserLockedError, type LockoutPolicy, type LoginLockout } from './login-lockout.js';
import { UNMATCHABLE_HASH } from './password-hash.js';

const ALICE: UserRecord = {
  uid: 1,
  email: 'alice@example.com',
  name: '',
  role: 'admin',
  auth_method: 'regular',
  status: 'active',
  password_issue_date: '2026-01-01T00:00:00.000Z',
  password_hash: 'hash-of-alice',
};

/** Lockout counts in memory, with the Redis store's rule: the threshold-th failure of one email from one client locks. */
function fakeLockout() {
  const failures = new Map<string, number>();
  const locked = new Set<string>();
  const at = (email: string, client: string) => `${email}|${client}`;
  const lockout: LoginLockout = {
    isLocked: (email, client) => Promise.resolve(locked.has(at(email, client))),
    recordFailure(email, client, policy: LockoutPolicy) {
      const count = (failures.get(at(email, client)) ?? 0) + 1;
      failures.set(at(email, client), count);
      if (policy.login_lockout_threshold === 0 || count < policy.login_lockout_threshold) return Promise.resolve(false);
      failures.delete(at(email, client));
      locked.add(at(email, client));
      return Promise.resolve(true);
    },
    recordSuccess: (email, client) => Promise.resolve(void failures.delete(at(email, client))),
    unlock: email =>
      Promise.resolve(void [...locked].filter(k => k.startsWith(`${email}|`)).forEach(k => locked.delete(k))),
    lockedAmong: emails =>
      Promise.resolve(new Set(emails.filter(email => [...locked].some(k => k.startsWith(`${email}|`))))),
  };
  return { lockout, failures, locked };
}

/** A password check that records which hash it was asked about; only `right` matches alice's. */
function countingCheck(right: string) {
  const hashes: string[] = [];
  return {
    hashes,
    check(password: string, hash: string) {
      hashes.push(hash);
      return Promise.resolve(hash === ALICE.password_hash && password === right);
    },
  };
}

function setup(policy: LockoutPolicy = LOCKOUT_DEFAULTS) {
  const store = fakeLockout();
  const scrypt = countingCheck('right-password');
  const auth = createAuthenticator({
    users: { findByEmail: email => Promise.resolve(email === ALICE.email ? ALICE : undefined) },
    lockout: { store: store.lockout, policy: () => Promise.resolve(policy) },
    checkPassword: (password, hash) => scrypt.check(password, hash),
  });
  return { auth, store, scrypt };
}

describe('createAuthenticator with login lockout', () => {
  it('makes a wrong password for an unknown email cost one check like a known one, but stores nothing for it', async () => {
    const { auth, store, scrypt } = setup();

    await expect(auth.verify('alice@example.com', 'wrong-password', '10.0.0.1')).resolves.toBeUndefined();
    await expect(auth.verify('nobody@example.com', 'wrong-password', '10.0.0.1')).resolves.toBeUndefined();

    expect(scrypt.hashes).toEqual([ALICE.password_hash, UNMATCHABLE_HASH]);
    expect(store.failures).toEqual(new Map([['alice@example.com|10.0.0.1', 1]]));
  });

  it("lets an outsider's failures lock out only the outsider's address, never the real user elsewhere", async () => {
    const { auth, store } = setup();
    for (let i = 0; i < 12; i += 1) {
      await auth.verify('alice@example.com', `guess-${i}`, '203.0.113.9').catch(() => undefined);
    }

    await expect(auth.verify('alice@example.com', 'right-password', '203.0.113.9')).rejects.toBeInstanceOf(
      UserLockedError,
    );
    await expect(auth.verify('alice@example.com', 'right-password', '10.0.0.1')).resolves.toMatchObject({ uid: 1 });
    expect(store.locked).toEqual(new Set(['alice@example.com|203.0.113.9']));
  });

  it('refuses an email longer than RS allows before any check or count', async () => {
    const { auth, store, scrypt } = setup();

    await expect(auth.verify(`${'a'.repeat(11_000)}@example.com`, 'x', '10.0.0.1')).resolves.toBeUndefined();

    expect(scrypt.hashes).toEqual([]);
    expect(store.failures.size).toBe(0);
  });

  it('refuses a locked user, known or not, before any password check, even with the right password', async () => {
    const { auth, store, scrypt } = setup({ ...LOCKOUT_DEFAULTS, login_lockout_threshold: 2 });
    for (const email of ['alice@example.com', 'nobody@example.com']) {
      await auth.verify(email, 'wrong-1', '10.0.0.1');
      await auth.verify(email, 'wrong-2', '10.0.0.1');
    }
    const checksBefore = scrypt.hashes.length;

    await expect(auth.verify('alice@example.com', 'right-password', '10.0.0.1')).rejects.toBeInstanceOf(
      UserLockedError,
    );
    await expect(auth.verify('nobody@example.com', 'right-password', '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'user_locked',
    });
    expect(scrypt.hashes).toHaveLength(checksBefore);
    expect(store.locked).toEqual(new Set(['alice@example.com|10.0.0.1']));
  });

  it('counts each concurrent wrong attempt, though they share one password check', async () => {
    const { auth, store, scrypt } = setup({ ...LOCKOUT_DEFAULTS, login_lockout_threshold: 100 });

    await Promise.all(Array.from({ length: 4 }, () => auth.verify('alice@example.com', 'same-wrong-password')));

    expect(scrypt.hashes).toHaveLength(1);
    expect(store.failures.get('alice@example.com|')).toBe(4);
  });

  it('starts the count again after a good login', async () => {
    const { auth, store } = setup();
    await auth.verify('alice@example.com', 'wrong-password');

    await expect(auth.verify('alice@example.com', 'right-password')).resolves.toMatchObject({ uid: 1 });

    expect(store.failures.has('alice@example.com|')).toBe(false);
  });
});
