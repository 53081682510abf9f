import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCKOUT_DEFAULTS, routes, type Role } from '@modfleet/common';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { fakeCoordinatorPerTest, startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { createRoleUsers, NON_ADMIN_ROLES, VIEWER_ROLES } from '../helpers/role-users.js';
import { api, basicAuth, type ApiResponse, type Credentials } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';

interface ClusterSettings {
  name: string;
  allow_modules_upload: boolean;
  module_load_check: string;
}

/** fetch with a raw body, for requests the JSON helper cannot send. */
async function rawRequest(url: string, init: RequestInit): Promise<ApiResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('cluster settings (/v1/cluster) and error bodies', () => {
  let cluster: FakeCoordinator;
  let base: string;
  const users = {} as Record<Role, Credentials>;

  beforeAll(async () => {
    cluster = await startFakeCoordinator();
    base = cluster.url;
    Object.assign(users, await createRoleUsers(base));
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  describe('GET /v1/cluster', () => {
    it.each(VIEWER_ROLES)('shows a %s user that module uploads are allowed by default', async role => {
      const res = await api<ClusterSettings>(`${base}${routes.cluster}`, { credentials: users[role] });

      expect(res.status).toBe(200);
      expect(res.body.allow_modules_upload).toBe(true);
      // Until set, nodes check every module they install and report (warn).
      expect(res.body.module_load_check).toBe('warn');
    });

    it('answers 403 to a user with role none', async () => {
      const res = await api(`${base}${routes.cluster}`, { credentials: users.none });

      expectRsError(res, 403);
    });

    it('answers 401 with a Basic challenge without credentials', async () => {
      const res = await api(`${base}${routes.cluster}`);

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });
  });

  describe('PUT /v1/cluster', () => {
    it.each(NON_ADMIN_ROLES)('answers 403 to a %s user and changes nothing', async role => {
      const res = await api(`${base}${routes.cluster}`, {
        method: 'PUT',
        credentials: users[role],
        json: { allow_modules_upload: false },
      });
      const after = await api<ClusterSettings>(`${base}${routes.cluster}`, { credentials: ADMIN });

      expectRsError(res, 403);
      expect(after.body.allow_modules_upload).toBe(true);
    });

    it.each([
      ['allow_modules_upload as a string', { allow_modules_upload: 'false' }],
      ['allow_modules_upload as a number', { allow_modules_upload: 0 }],
      ['allow_modules_upload as null', { allow_modules_upload: null }],
      ['an unknown field', { allow_everything: true }],
      ['an empty name', { name: '' }],
      ['an array body', [{ allow_modules_upload: false }]],
      ['module_load_check other than off, warn or enforce', { module_load_check: 'strict' }],
    ])('refuses %s with 406 and changes nothing', async (_label, body) => {
      const res = await api(`${base}${routes.cluster}`, { method: 'PUT', credentials: ADMIN, json: body });
      const after = await api<ClusterSettings>(`${base}${routes.cluster}`, { credentials: ADMIN });

      expectRsError(res, 406);
      expect(after.body.allow_modules_upload).toBe(true);
    });

    it('answers 401 with a Basic challenge without credentials', async () => {
      const res = await api(`${base}${routes.cluster}`, { method: 'PUT', json: { allow_modules_upload: false } });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    describe('by an admin', () => {
      const own = fakeCoordinatorPerTest();

      it('switches module uploads off, answers the new settings, and GET shows them', async () => {
        const url = `${own().url}${routes.cluster}`;

        const res = await api<ClusterSettings>(url, {
          method: 'PUT',
          credentials: ADMIN,
          json: { allow_modules_upload: false },
        });
        const after = await api<ClusterSettings>(url, { credentials: ADMIN });

        expect(res.status).toBe(200);
        expect(res.body.allow_modules_upload).toBe(false);
        expect(after.body.allow_modules_upload).toBe(false);
      });

      it('changes only the fields it is given', async () => {
        const url = `${own().url}${routes.cluster}`;
        await api(url, { method: 'PUT', credentials: ADMIN, json: { allow_modules_upload: false } });

        const res = await api<ClusterSettings>(url, { method: 'PUT', credentials: ADMIN, json: { name: 'renamed' } });

        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          name: 'renamed',
          allow_modules_upload: false,
          module_load_check: 'warn',
          ...LOCKOUT_DEFAULTS,
        });
        const enforced = await api<ClusterSettings>(url, {
          method: 'PUT',
          credentials: ADMIN,
          json: { module_load_check: 'enforce' },
        });
        expect(enforced.body).toEqual({
          name: 'renamed',
          allow_modules_upload: false,
          module_load_check: 'enforce',
          ...LOCKOUT_DEFAULTS,
        });
      });

      it('accepts an empty object and changes nothing', async () => {
        const url = `${own().url}${routes.cluster}`;
        const before = await api<ClusterSettings>(url, { credentials: ADMIN });

        const res = await api<ClusterSettings>(url, { method: 'PUT', credentials: ADMIN, json: {} });

        expect(res.status).toBe(200);
        expect(res.body).toEqual(before.body);
      });
    });
  });

  describe('error bodies', () => {
    it('answers an unknown route with 404 JSON, without asking for credentials', async () => {
      const res = await api(`${base}/v1/no-such-thing`);

      expectRsError(res, 404);
    });

    it('answers an unknown method on a known path with 404 JSON', async () => {
      const res = await api(`${base}${routes.cluster}`, { method: 'PATCH', credentials: ADMIN, json: {} });

      expectRsError(res, 404);
    });

    it('answers a body that is not JSON with 400 JSON, and never echoes a parser stack', async () => {
      const res = await rawRequest(`${base}${routes.cluster}`, {
        method: 'PUT',
        headers: { authorization: basicAuth(ADMIN), 'content-type': 'application/json' },
        body: '{"allow_modules_upload": tru',
      });

      const error = expectRsError(res, 400);
      expect(error.description).not.toContain('Unexpected token');
    });

    it('answers a JSON body of null with 400 or 406 RS error, never 500', async () => {
      const res = await rawRequest(`${base}${routes.users}`, {
        method: 'POST',
        headers: { authorization: basicAuth(ADMIN), 'content-type': 'application/json' },
        body: 'null',
      });

      expect([400, 406]).toContain(res.status);
      expectRsError(res, res.status);
    });

    it('answers a body over 1 MiB with 413 JSON', async () => {
      const res = await rawRequest(`${base}${routes.cluster}`, {
        method: 'PUT',
        headers: { authorization: basicAuth(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
      });

      expectRsError(res, 413);
    });

    it.each([
      ['no Authorization header', undefined],
      ['an unknown email', basicAuth({ email: `nobody-${randomUUID()}@test.local`, password: 'whatever-pass' })],
      ['a wrong password', basicAuth({ email: ADMIN.email, password: `${ADMIN.password}x` })],
      ['a Bearer token', 'Bearer abc.def.ghi'],
      ['Basic without a colon', `Basic ${Buffer.from(ADMIN.email).toString('base64')}`],
      ['Basic with garbage', 'Basic !!!not-base64!!!'],
    ])('answers %s with 401 JSON and a Basic challenge', async (_label, authorization) => {
      const res = await rawRequest(`${base}${routes.modules}`, {
        headers: authorization === undefined ? {} : { authorization },
      });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it('accepts the email in any case', async () => {
      const res = await api(`${base}${routes.modules}`, {
        credentials: { email: ADMIN.email.toUpperCase(), password: ADMIN.password },
      });

      expect(res.status).toBe(200);
    });

    it('answers a missing permission with 403 JSON that names no internals', async () => {
      const res = await api(`${base}${routes.users}`, { credentials: users.db_viewer });

      expectRsError(res, 403);
    });

    it('answers a bad body with 406 JSON whose description names the field', async () => {
      const res = await api(`${base}${routes.users}`, {
        method: 'POST',
        credentials: ADMIN,
        json: { email: 'not-an-email', password: 'long-enough-password', role: 'db_viewer' },
      });

      const error = expectRsError(res, 406);
      expect(error.description).toContain('email');
    });

    it('tags every answer, errors included, with a request id to quote', async () => {
      const res = await api(`${base}/v1/no-such-thing`);

      expect(res.headers.get('x-request-id')).toMatch(/^[\w.-]{1,128}$/);
    });
  });
});
