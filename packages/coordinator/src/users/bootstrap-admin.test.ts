import { createLogger } from '@modfleet/common';
import { createFakeUserStore } from '@modfleet/common/testing';
import { describe, expect, it } from 'vitest';
import { ensureAdmin, NoAdminError, type BootstrapMarker } from './bootstrap-admin.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const admin = { email: 'admin@example.com', password: 'admin-password-1' };

function memoryMarker(): BootstrapMarker & { value: boolean } {
  const marker = {
    value: false,
    isSet: () => Promise.resolve(marker.value),
    set: () => Promise.resolve(void (marker.value = true)),
  };
  return marker;
}

describe('the bootstrap admin', () => {
  it('is created when the cluster is first set up, and the CCS marked', async () => {
    const users = createFakeUserStore();
    const marker = memoryMarker();
    await ensureAdmin(users, admin, logger, marker);
    expect(await users.findByEmail(admin.email)).toMatchObject({ role: 'admin' });
    expect(marker.value).toBe(true);
  });

  it('stays deleted across restarts once an admin removed it', async () => {
    const users = createFakeUserStore();
    const marker = memoryMarker();
    await ensureAdmin(users, admin, logger, marker);
    await users.create({ email: 'other@example.com', password: 'other-password-1', role: 'admin', name: '' });
    await users.delete((await users.findByEmail(admin.email))!.uid);

    await ensureAdmin(users, admin, logger, marker); // the next start, MODFLEET_ADMIN_PASSWORD still set

    expect(await users.findByEmail(admin.email)).toBeUndefined();
  });

  it('marks a cluster set up before the marker existed without touching its users', async () => {
    const users = createFakeUserStore();
    await users.create({ email: 'ops@example.com', password: 'ops-password-1', role: 'admin', name: '' });
    const marker = memoryMarker();
    await ensureAdmin(users, admin, logger, marker);
    expect(await users.findByEmail(admin.email)).toBeUndefined();
    expect(marker.value).toBe(true);
  });

  it('needs a password on the first start', async () => {
    await expect(
      ensureAdmin(createFakeUserStore(), { ...admin, password: undefined }, logger, memoryMarker()),
    ).rejects.toBeInstanceOf(NoAdminError);
  });
});
