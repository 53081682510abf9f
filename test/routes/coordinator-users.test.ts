import { randomUUID } from 'node:crypto';
import { pathTo, routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { api, type ApiResponse, type Credentials } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';
import { NON_ADMIN_ROLES } from '../helpers/role-users.js';

type Role = (typeof NON_ADMIN_ROLES)[number] | 'admin';
const NO_USER_ACCESS_ROLES = ['cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'none'] as const;

interface PublicUser {
  uid: number;
  email: string;
  name: string;
  role: Role;
  [field: string]: unknown;
}

/** The user as JSON text carries neither the password nor its hash, under any key. */
function expectNoSecrets(res: ApiResponse, password: string): void {
  const text = JSON.stringify(res.body);
  expect(text).not.toContain('"password"');
  expect(text).not.toContain('password_hash');
  expect(text).not.toContain('scrypt$');
  expect(text).not.toContain(password);
}

function newCredentials(label = 'user'): Credentials {
  return { email: `${label}-${randomUUID().slice(0, 8)}@test.local`, password: `pw-${randomUUID()}` };
}

describe('users (/v1/users)', () => {
  let cluster: FakeCoordinator;
  let base: string;
  const users = {} as Record<Role, Credentials>;

  const createUser = (body: Record<string, unknown>, credentials: Credentials = ADMIN) =>
    api<PublicUser>(`${base}${routes.users}`, { method: 'POST', credentials, json: body });
  const newUser = async (role: Role, credentials = newCredentials(role)) => {
    const res = await createUser({ ...credentials, role });
    expect(res.status).toBe(200);
    return { ...credentials, uid: res.body.uid };
  };

  beforeAll(async () => {
    cluster = await startFakeCoordinator();
    base = cluster.url;
    users.admin = ADMIN;
    await Promise.all(
      NON_ADMIN_ROLES.map(async role => {
        users[role] = await newUser(role, { email: `${role}@test.local`, password: `${role}-password-1` });
      }),
    );
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  describe('POST /v1/users', () => {
    it('lets an admin create a user, answered without password or hash', async () => {
      const credentials = newCredentials();

      const res = await createUser({ ...credentials, role: 'db_viewer', name: 'Dee Viewer' });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: credentials.email, role: 'db_viewer', name: 'Dee Viewer' });
      expect(Number.isInteger(res.body.uid)).toBe(true);
      expectNoSecrets(res, credentials.password);
    });

    it('lets a user_manager create a non-admin user, answered without password or hash', async () => {
      const credentials = newCredentials();

      const res = await createUser({ ...credentials, role: 'cluster_viewer' }, users.user_manager);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: credentials.email, role: 'cluster_viewer' });
      expectNoSecrets(res, credentials.password);
    });

    it('lets the new user sign in with the password it was given', async () => {
      const credentials = newCredentials();
      await createUser({ ...credentials, role: 'db_viewer' });

      const res = await api(`${base}${routes.modules}`, { credentials });

      expect(res.status).toBe(200);
    });

    it('refuses a user_manager creating an admin with 403, and creates nothing', async () => {
      const credentials = newCredentials();

      const res = await createUser({ ...credentials, role: 'admin' }, users.user_manager);
      const signIn = await api(`${base}${routes.modules}`, { credentials });

      expectRsError(res, 403);
      expectRsError(signIn, 401);
    });

    it('refuses a second user with the same email in another case with 409 email_already_exists', async () => {
      const credentials = newCredentials();
      await createUser({ ...credentials, role: 'db_viewer' });

      const res = await createUser({ ...credentials, email: credentials.email.toUpperCase(), role: 'db_member' });

      expectRsError(res, 409, 'email_already_exists');
    });

    it('keeps the first user when a duplicate email is refused', async () => {
      const credentials = newCredentials();
      await createUser({ ...credentials, role: 'db_viewer' });

      await createUser({ email: credentials.email, password: 'another-password', role: 'admin' });
      const signIn = await api(`${base}${routes.modules}`, { credentials });
      const escalation = await api(`${base}${routes.cluster}`, {
        method: 'PUT',
        credentials: { email: credentials.email, password: 'another-password' },
        json: {},
      });

      expect(signIn.status).toBe(200);
      expectRsError(escalation, 401);
    });

    it('creates exactly one user when the same email is posted concurrently', async () => {
      const credentials = newCredentials();

      const results = await Promise.all(
        Array.from({ length: 4 }, () => createUser({ ...credentials, role: 'db_viewer' })),
      );

      expect(results.map(res => res.status).sort()).toEqual([200, 409, 409, 409]);
    });

    it.each([
      ['an invalid email', { email: 'not-an-email' }],
      ['a missing email', { email: undefined }],
      ['a password shorter than 8 characters', { password: 'short' }],
      ['a missing password', { password: undefined }],
      ['an unknown role', { role: 'superuser' }],
      ['a missing role', { role: undefined }],
      ['an unknown field', { is_god: true }],
      ['a password hash', { password_hash: 'scrypt$1$1$1$AAAA$AAAA' }],
    ])('refuses %s with 406', async (_label, override) => {
      const body: Record<string, unknown> = { ...newCredentials(), role: 'db_viewer', ...override };
      for (const [key, value] of Object.entries(body)) if (value === undefined) delete body[key];

      const res = await createUser(body);

      expectRsError(res, 406);
    });

    it.each(NO_USER_ACCESS_ROLES)('answers 403 to a %s user', async role => {
      const res = await createUser({ ...newCredentials(), role: 'db_viewer' }, users[role]);

      expectRsError(res, 403);
    });

    it('answers 401 with a Basic challenge without credentials', async () => {
      const res = await api(`${base}${routes.users}`, {
        method: 'POST',
        json: { ...newCredentials(), role: 'db_viewer' },
      });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });
  });

  describe('GET /v1/users and /v1/users/<uid>', () => {
    it.each(['admin', 'user_manager'] as const)('lists users without passwords to a %s user', async role => {
      const created = await newUser('db_viewer');

      const res = await api<PublicUser[]>(`${base}${routes.users}`, { credentials: users[role] });

      expect(res.status).toBe(200);
      expect(res.body.map(user => user.email)).toEqual(expect.arrayContaining([ADMIN.email, created.email]));
      expectNoSecrets(res, created.password);
      expectNoSecrets(res, ADMIN.password);
    });

    it.each(['admin', 'user_manager'] as const)('returns one user without password to a %s user', async role => {
      const created = await newUser('db_member');

      const res = await api<PublicUser>(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        credentials: users[role],
      });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ uid: created.uid, email: created.email, role: 'db_member' });
      expectNoSecrets(res, created.password);
    });

    it.each(NO_USER_ACCESS_ROLES)('answers 403 to a %s user for the list and for one user', async role => {
      const list = await api(`${base}${routes.users}`, { credentials: users[role] });
      const one = await api(`${base}${pathTo(routes.user, { uid: 1 })}`, { credentials: users[role] });

      expectRsError(list, 403);
      expectRsError(one, 403);
    });

    it.each(['999999', 'abc', '-1'])('answers 404 for user uid %s', async uid => {
      const res = await api(`${base}${pathTo(routes.user, { uid })}`, { credentials: ADMIN });

      expectRsError(res, 404);
    });
  });

  describe('PUT /v1/users/<uid>', () => {
    it('changes the role, answered without password or hash', async () => {
      const created = await newUser('db_viewer');

      const res = await api<PublicUser>(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { role: 'cluster_member' },
      });
      const after = await api<PublicUser>(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        credentials: ADMIN,
      });

      expect(res.status).toBe(200);
      expect(res.body.role).toBe('cluster_member');
      expect(after.body.role).toBe('cluster_member');
      expectNoSecrets(res, created.password);
    });

    it('changes the name', async () => {
      const created = await newUser('db_viewer');

      const res = await api<PublicUser>(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'PUT',
        credentials: users.user_manager,
        json: { name: 'Renamed User' },
      });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ uid: created.uid, name: 'Renamed User', role: 'db_viewer' });
    });

    it('changes the password: the new one signs in, the old one no longer does', async () => {
      const created = await newUser('db_viewer');
      const before = await api(`${base}${routes.modules}`, { credentials: created });

      const res = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { password: 'brand-new-password' },
      });
      const withOld = await api(`${base}${routes.modules}`, { credentials: created });
      const withNew = await api(`${base}${routes.modules}`, {
        credentials: { email: created.email, password: 'brand-new-password' },
      });

      expect(before.status).toBe(200);
      expect(res.status).toBe(200);
      expectNoSecrets(res, 'brand-new-password');
      expectRsError(withOld, 401);
      expect(withNew.status).toBe(200);
    });

    it.each([
      ['a short password', { password: 'short' }],
      ['an unknown role', { role: 'root' }],
      ['an email change', { email: 'other@test.local' }],
      ['an unknown field', { uid: 1 }],
    ])('refuses %s with 406', async (_label, patch) => {
      const created = await newUser('db_viewer');

      const res = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: patch,
      });

      expectRsError(res, 406);
    });

    it('answers 404 for an unknown user', async () => {
      const res = await api(`${base}${pathTo(routes.user, { uid: 999999 })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { name: 'x' },
      });

      expectRsError(res, 404);
    });

    it('refuses a user_manager promoting a user to admin with 403', async () => {
      const created = await newUser('db_viewer');

      const res = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'PUT',
        credentials: users.user_manager,
        json: { role: 'admin' },
      });
      const after = await api<PublicUser>(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        credentials: ADMIN,
      });

      expectRsError(res, 403);
      expect(after.body.role).toBe('db_viewer');
    });

    it("refuses a user_manager changing an admin's password with 403", async () => {
      const admin = await newUser('admin');

      const res = await api(`${base}${pathTo(routes.user, { uid: admin.uid })}`, {
        method: 'PUT',
        credentials: users.user_manager,
        json: { password: 'taken-over-password' },
      });
      const signIn = await api(`${base}${routes.cluster}`, { credentials: admin });

      expectRsError(res, 403);
      expect(signIn.status).toBe(200);
    });

    it('refuses a user_manager demoting an admin with 403', async () => {
      const admin = await newUser('admin');

      const res = await api(`${base}${pathTo(routes.user, { uid: admin.uid })}`, {
        method: 'PUT',
        credentials: users.user_manager,
        json: { role: 'none' },
      });

      expectRsError(res, 403);
    });

    it.each(NO_USER_ACCESS_ROLES)('answers 403 to a %s user', async role => {
      const created = await newUser('db_viewer');

      const res = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'PUT',
        credentials: users[role],
        json: { name: 'x' },
      });

      expectRsError(res, 403);
    });
  });

  describe('DELETE /v1/users/<uid>', () => {
    it.each(['admin', 'user_manager'] as const)('lets a %s user delete a user, who then cannot sign in', async role => {
      const created = await newUser('db_viewer');
      const before = await api(`${base}${routes.modules}`, { credentials: created });

      const res = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'DELETE',
        credentials: users[role],
      });
      const lookup = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, { credentials: ADMIN });
      const signIn = await api(`${base}${routes.modules}`, { credentials: created });

      expect(before.status).toBe(200);
      expect(res.status).toBe(200);
      expectRsError(lookup, 404);
      expectRsError(signIn, 401);
    });

    it('frees the email for a new user', async () => {
      const created = await newUser('db_viewer');
      await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, { method: 'DELETE', credentials: ADMIN });

      const again = await createUser({ email: created.email, password: 'second-life-password', role: 'db_member' });

      expect(again.status).toBe(200);
      expect(again.body.uid).not.toBe(created.uid);
    });

    it('refuses a user_manager deleting an admin with 403, and the admin stays', async () => {
      const admin = await newUser('admin');

      const res = await api(`${base}${pathTo(routes.user, { uid: admin.uid })}`, {
        method: 'DELETE',
        credentials: users.user_manager,
      });
      const signIn = await api(`${base}${routes.cluster}`, { credentials: admin });

      expectRsError(res, 403);
      expect(signIn.status).toBe(200);
    });

    it('answers 404 for an unknown user', async () => {
      const res = await api(`${base}${pathTo(routes.user, { uid: 999999 })}`, { method: 'DELETE', credentials: ADMIN });

      expectRsError(res, 404);
    });

    it.each(NO_USER_ACCESS_ROLES)('answers 403 to a %s user', async role => {
      const created = await newUser('db_viewer');

      const res = await api(`${base}${pathTo(routes.user, { uid: created.uid })}`, {
        method: 'DELETE',
        credentials: users[role],
      });

      expectRsError(res, 403);
    });
  });
});
