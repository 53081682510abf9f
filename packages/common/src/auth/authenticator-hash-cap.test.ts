import { describe, expect, it } from 'vitest';
import { TooManyRequestsError } from '../errors.js';
import { createAuthenticator } from './authenticator.js';

describe('createAuthenticator under a flood of logins', () => {
  it('answers 429 beyond the cap of password checks in flight instead of queueing them, and recovers', async () => {
    const release: Array<() => void> = [];
    const auth = createAuthenticator({
      users: { findByEmail: () => Promise.resolve(undefined) },
      maxHashesInFlight: 2,
      checkPassword: () => new Promise<boolean>(resolve => release.push(() => resolve(false))),
    });

    const first = auth.verify('a@example.com', 'x');
    const second = auth.verify('b@example.com', 'x');
    await new Promise(resolve => setImmediate(resolve));
    const third = auth.verify('c@example.com', 'x');

    await expect(third).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(third).rejects.toMatchObject({ status: 429, code: 'too_many_logins' });
    release.forEach(done => done());
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    const after = auth.verify('c@example.com', 'x');
    await new Promise(resolve => setImmediate(resolve));
    release.at(-1)!();
    await expect(after).resolves.toBeUndefined();
  });
});
