import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../users/user-types.js';
import { createAuthenticator } from './authenticator.js';
import { hashPassword } from './password-hash.js';

const PASSWORD = 'correct-horse-battery';

/** A users store in memory that counts every lookup, standing in for the CCS. */
function inMemoryUsers(records: UserRecord[]) {
  const byEmail = new Map(records.map(record => [record.email, record]));
  const lookups: string[] = [];
  return {
    lookups,
    byEmail,
    findByEmail(email: string): Promise<UserRecord | undefined> {
      lookups.push(email);
      return Promise.resolve(byEmail.get(email));
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('createAuthenticator', () => {
  let alice: UserRecord;
  let bob: UserRecord;

  beforeAll(async () => {
    const common = {
      name: '',
      auth_method: 'regular',
      status: 'active',
      password_issue_date: '2026-01-01T00:00:00.000Z',
    } as const;
    alice = {
      ...common,
      uid: 1,
      email: 'alice@example.com',
      role: 'admin',
      password_hash: await hashPassword(PASSWORD),
    };
    bob = {
      ...common,
      uid: 2,
      email: 'bob@example.com',
      role: 'db_viewer',
      password_hash: await hashPassword(PASSWORD),
    };
  });

  it('checks concurrent requests with the same cold credentials with one lookup and one scrypt', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });

    const results = await Promise.all(Array.from({ length: 32 }, () => auth.verify('alice@example.com', PASSWORD)));

    expect(results.every(user => user?.uid === 1)).toBe(true);
    expect(users.lookups).toHaveLength(1);
  });

  it('does not let a concurrent wrong password share a right one', async () => {
    const auth = createAuthenticator({ users: inMemoryUsers([alice]) });

    const [right, wrong] = await Promise.all([
      auth.verify('alice@example.com', PASSWORD),
      auth.verify('alice@example.com', 'wrong-password'),
    ]);

    expect(right?.uid).toBe(1);
    expect(wrong).toBeUndefined();
  });

  it('returns the public user, without its password hash, for the right password', async () => {
    const auth = createAuthenticator({ users: inMemoryUsers([alice]) });

    const user = await auth.verify('alice@example.com', PASSWORD);

    expect(user).toMatchObject({ uid: 1, email: 'alice@example.com', role: 'admin' });
    expect(user).not.toHaveProperty('password_hash');
  });

  it('refuses a wrong password and an unknown email', async () => {
    const auth = createAuthenticator({ users: inMemoryUsers([alice]) });

    const wrong = await auth.verify('alice@example.com', 'not-the-password');
    const unknown = await auth.verify('nobody@example.com', PASSWORD);

    expect(wrong).toBeUndefined();
    expect(unknown).toBeUndefined();
  });

  it('answers the same credentials a second time from the cache, without the store or scrypt', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });

    const first = await timed(() => auth.verify('alice@example.com', PASSWORD));
    const second = await timed(() => auth.verify('alice@example.com', PASSWORD));

    expect(second.value).toEqual(first.value);
    expect(users.lookups).toHaveLength(1);
    expect(second.ms).toBeLessThan(first.ms / 4);
  });

  it('does not accept a wrong password even while the right one is cached', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });
    await auth.verify('alice@example.com', PASSWORD);

    const wrong = await auth.verify('alice@example.com', `${PASSWORD}!`);
    const right = await auth.verify('alice@example.com', PASSWORD);

    expect(wrong).toBeUndefined();
    expect(right?.uid).toBe(1);
    expect(users.lookups).toHaveLength(2);
  });

  it('never lets one user ride on another user’s cached verification', async () => {
    const users = inMemoryUsers([alice, bob]);
    const auth = createAuthenticator({ users });
    await auth.verify('alice@example.com', PASSWORD);

    const asBob = await auth.verify('bob@example.com', PASSWORD);

    expect(asBob).toMatchObject({ uid: 2, role: 'db_viewer' });
  });

  it('matches the email whatever its case or surrounding spaces, and caches it once', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });

    const upper = await auth.verify('ALICE@Example.COM', PASSWORD);
    const padded = await auth.verify(' alice@example.com ', PASSWORD);

    expect(upper?.uid).toBe(1);
    expect(padded?.uid).toBe(1);
    expect(users.lookups).toEqual(['alice@example.com']);
  });

  it('looks the user up afresh after invalidate(), so a changed password takes effect', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });
    await auth.verify('alice@example.com', PASSWORD);
    users.byEmail.set('alice@example.com', { ...alice, password_hash: await hashPassword('a-new-password') });

    auth.invalidate();
    const withOld = await auth.verify('alice@example.com', PASSWORD);
    const withNew = await auth.verify('alice@example.com', 'a-new-password');

    expect(withOld).toBeUndefined();
    expect(withNew?.uid).toBe(1);
    expect(users.lookups).toHaveLength(3);
  });

  it('refuses a deleted user after invalidate()', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });
    await auth.verify('alice@example.com', PASSWORD);
    users.byEmail.delete('alice@example.com');

    auth.invalidate();
    const after = await auth.verify('alice@example.com', PASSWORD);

    expect(after).toBeUndefined();
  });

  it('serves the new role after invalidate() when a user was demoted', async () => {
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users });
    await auth.verify('alice@example.com', PASSWORD);
    users.byEmail.set('alice@example.com', { ...alice, role: 'db_viewer' });

    auth.invalidate();
    const after = await auth.verify('alice@example.com', PASSWORD);

    expect(after?.role).toBe('db_viewer');
  });

  it('trusts a verification until its TTL, then checks the store again', async () => {
    let clock = 1_000_000;
    const users = inMemoryUsers([alice]);
    const auth = createAuthenticator({ users, cacheTtlMs: 5_000, now: () => clock });
    await auth.verify('alice@example.com', PASSWORD);

    clock += 4_999;
    await auth.verify('alice@example.com', PASSWORD);
    const lookupsBeforeExpiry = users.lookups.length;
    clock += 2;
    await auth.verify('alice@example.com', PASSWORD);

    expect(lookupsBeforeExpiry).toBe(1);
    expect(users.lookups).toHaveLength(2);
  });

  it('does not cache a verification that raced with a user change', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    const lookups: string[] = [];
    const auth = createAuthenticator({
      users: {
        async findByEmail(email) {
          lookups.push(email);
          if (lookups.length === 1) await gate;
          return alice;
        },
      },
    });
    const inFlight = auth.verify('alice@example.com', PASSWORD);

    auth.invalidate();
    release();
    await inFlight;
    await auth.verify('alice@example.com', PASSWORD);

    expect(lookups).toHaveLength(2);
  });

  it('keeps at most maxCachedUsers verifications', async () => {
    const users = inMemoryUsers([alice, bob]);
    const auth = createAuthenticator({ users, maxCachedUsers: 1 });
    await auth.verify('alice@example.com', PASSWORD);
    await auth.verify('bob@example.com', PASSWORD);

    const again = await auth.verify('alice@example.com', PASSWORD);

    expect(again?.uid).toBe(1);
    expect(users.lookups).toEqual(['alice@example.com', 'bob@example.com', 'alice@example.com']);
  });
});
