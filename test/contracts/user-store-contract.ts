import { verifyPassword, type UserStore } from '@modfleet/common';
import { describe, expect, it } from 'vitest';

const admin = { email: 'Admin@Example.com', password: 'admin-pass-1', role: 'admin' as const };

/** What every UserStore does, the Redis one and the fake alike. */
export function userStoreContract(name: string, makeStore: () => UserStore) {
  describe(`${name}: UserStore contract`, () => {
    it('creates users with new uids, a normalized email and only a password hash', async () => {
      const store = makeStore();
      const first = await store.create(admin);
      const second = await store.create({ email: 'dev@example.com', password: 'dev-pass-12', role: 'db_viewer' });
      expect(second.uid).toBeGreaterThan(first.uid);
      expect(first).toMatchObject({ email: 'admin@example.com', name: '', role: 'admin', status: 'active' });
      expect(JSON.stringify(first)).not.toContain(admin.password);
      expect(await verifyPassword(admin.password, first.password_hash)).toBe(true);
      expect((await store.findByEmail(' ADMIN@example.com '))?.uid).toBe(first.uid);
      expect((await store.list()).map(user => user.uid)).toEqual([first.uid, second.uid]);
      expect(await store.count()).toBe(2);
    });

    it('refuses a second user with the same email', async () => {
      const store = makeStore();
      await store.create(admin);
      await expect(store.create({ ...admin, email: 'admin@EXAMPLE.com' })).rejects.toMatchObject({
        status: 409,
        code: 'email_already_exists',
      });
      expect(await store.count()).toBe(1);
    });

    it('updates name, role and password, and says when a user does not exist', async () => {
      const store = makeStore();
      const created = await store.create(admin);
      await store.create({ email: 'two@example.com', password: 'second-admin', role: 'admin' });
      const updated = await store.update(created.uid, { name: 'Ops', role: 'db_member', password: 'a-new-password' });
      expect(updated).toMatchObject({ name: 'Ops', role: 'db_member' });
      expect(await verifyPassword('a-new-password', updated.password_hash)).toBe(true);
      expect(await store.get(created.uid)).toEqual(updated);
      await expect(store.update(999, { name: 'x' })).rejects.toMatchObject({ status: 404, code: 'user_not_exist' });
      await expect(store.delete(999)).rejects.toMatchObject({ code: 'user_not_exist' });
    });

    it('keeps at least one admin: the last cannot be demoted or deleted, another can', async () => {
      const store = makeStore();
      const only = await store.create(admin);
      const lastAdmin = { status: 406, code: 'change_last_admin_role_not_allowed' };
      await expect(store.update(only.uid, { role: 'db_viewer' })).rejects.toMatchObject(lastAdmin);
      await expect(store.delete(only.uid)).rejects.toMatchObject(lastAdmin);
      const other = await store.create({ email: 'two@example.com', password: 'second-admin', role: 'admin' });
      await store.delete(only.uid);
      expect(await store.findByEmail(admin.email)).toBeUndefined();
      expect((await store.list()).map(user => user.uid)).toEqual([other.uid]);
    });
  });
}
