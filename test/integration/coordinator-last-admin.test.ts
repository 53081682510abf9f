import { randomUUID } from 'node:crypto';
import { pathTo, routes } from '@modfleet/common';
import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { clusterPerTest } from '../helpers/cluster-per-test.js';
import { api, type Credentials } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';

interface PublicUser {
  uid: number;
  email: string;
  role: string;
  [field: string]: unknown;
}
type Role = string;

function newCredentials(label = 'user'): Credentials {
  return { email: `${label}-${randomUUID().slice(0, 8)}@test.local`, password: `pw-${randomUUID()}` };
}

/**
 * The last-admin rule under concurrent requests, on the Redis user store: the other user routes
 * run on the fakes (test/unit/routes/coordinator-users.test.ts); whether two deletes racing each
 * other both pass authentication first depends on the store's latency, so these stay on Redis.
 */
describe('users (/v1/users)', () => {
  describe('the last admin', () => {
    const own = clusterPerTest({ nodes: 0 });
    let adminUid: number;

    beforeEach(async () => {
      const list = await api<PublicUser[]>(`${own().coordinator.url}${routes.users}`, { credentials: ADMIN });
      adminUid = list.body.find(user => user.email === ADMIN.email)!.uid;
    });

    /** A second admin, both admins signed in once (their sessions warm), and a user_manager to list users with. */
    async function secondAdminAndManager(): Promise<{ second: Credentials; secondUid: number; manager: Credentials }> {
      const url = own().coordinator.url;
      const create = async (credentials: Credentials, role: Role) => {
        const res = await api<PublicUser>(`${url}${routes.users}`, {
          method: 'POST',
          credentials: ADMIN,
          json: { ...credentials, role },
        });
        expect(res.status).toBe(200);
        return res.body.uid;
      };
      const second = newCredentials('admin');
      const secondUid = await create(second, 'admin');
      const manager = newCredentials('manager');
      await create(manager, 'user_manager');
      await Promise.all([
        api(`${url}${routes.users}`, { credentials: ADMIN }),
        api(`${url}${routes.users}`, { credentials: second }),
      ]);
      return { second, secondUid, manager };
    }

    it('cannot be deleted: 406 change_last_admin_role_not_allowed', async () => {
      const res = await api(`${own().coordinator.url}${pathTo(routes.user, { uid: adminUid })}`, {
        method: 'DELETE',
        credentials: ADMIN,
      });
      const signIn = await api(`${own().coordinator.url}${routes.users}`, { credentials: ADMIN });

      expectRsError(res, 406, 'change_last_admin_role_not_allowed');
      expect(signIn.status).toBe(200);
    });

    it('cannot be demoted: 406 change_last_admin_role_not_allowed', async () => {
      const res = await api(`${own().coordinator.url}${pathTo(routes.user, { uid: adminUid })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { role: 'db_viewer' },
      });
      const after = await api<PublicUser>(`${own().coordinator.url}${pathTo(routes.user, { uid: adminUid })}`, {
        credentials: ADMIN,
      });

      expectRsError(res, 406, 'change_last_admin_role_not_allowed');
      expect(after.body.role).toBe('admin');
    });

    it('can change its own password and name', async () => {
      const res = await api<PublicUser>(`${own().coordinator.url}${pathTo(routes.user, { uid: adminUid })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { name: 'Still Admin', password: 'another-admin-password' },
      });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ role: 'admin', name: 'Still Admin' });
    });

    it('can be demoted once another admin exists', async () => {
      const second = newCredentials('admin');
      await api(`${own().coordinator.url}${routes.users}`, {
        method: 'POST',
        credentials: ADMIN,
        json: { ...second, role: 'admin' },
      });

      const res = await api<PublicUser>(`${own().coordinator.url}${pathTo(routes.user, { uid: adminUid })}`, {
        method: 'PUT',
        credentials: second,
        json: { role: 'db_viewer' },
      });

      expect(res.status).toBe(200);
      expect(res.body.role).toBe('db_viewer');
    });

    it('survives concurrent demotions of the only two admins: one of them stays admin', async () => {
      const url = own().coordinator.url;
      const { second, secondUid, manager } = await secondAdminAndManager();

      const results = await Promise.all([
        api(`${url}${pathTo(routes.user, { uid: adminUid })}`, {
          method: 'PUT',
          credentials: ADMIN,
          json: { role: 'db_viewer' },
        }),
        api(`${url}${pathTo(routes.user, { uid: secondUid })}`, {
          method: 'PUT',
          credentials: second,
          json: { role: 'db_viewer' },
        }),
      ]);
      const list = await api<PublicUser[]>(`${url}${routes.users}`, { credentials: manager });

      expect(list.body.filter(user => user.role === 'admin')).toHaveLength(1);
      expect(results.map(res => res.status).sort()).toEqual([200, 406]);
    });

    it('survives concurrent deletes of the only two admins: one of them stays', async () => {
      const url = own().coordinator.url;
      const { second, secondUid, manager } = await secondAdminAndManager();

      const results = await Promise.all([
        api(`${url}${pathTo(routes.user, { uid: adminUid })}`, { method: 'DELETE', credentials: second }),
        api(`${url}${pathTo(routes.user, { uid: secondUid })}`, { method: 'DELETE', credentials: ADMIN }),
      ]);
      const list = await api<PublicUser[]>(`${url}${routes.users}`, { credentials: manager });

      expect(list.body.filter(user => user.role === 'admin')).toHaveLength(1);
      expect(results.map(res => res.status).sort()).toEqual([200, 406]);
    });
  });
});
