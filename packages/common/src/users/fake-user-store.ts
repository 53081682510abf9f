import {
  emailTakenError,
  lastAdminError,
  newUserRecord,
  normalizeEmail,
  patchedUserRecord,
  userNotFoundError,
  type UserStore,
} from './user-store.js';
import type { UserRecord } from './user-types.js';

/** Users in memory, with the Redis store's rules (unique email, one admin at least), for unit tests. */
export function createFakeUserStore(seed: UserRecord[] = []): UserStore {
  const users = new Map(seed.map(user => [user.uid, user]));
  let lastUid = Math.max(0, ...users.keys());
  const keepsAnAdmin = (uid: number, next: UserRecord | undefined) =>
    next?.role === 'admin' ||
    users.get(uid)?.role !== 'admin' ||
    [...users.values()].some(other => other.role === 'admin' && other.uid !== uid);

  const store: UserStore = {
    findByEmail(email) {
      const wanted = normalizeEmail(email);
      return Promise.resolve([...users.values()].find(user => user.email === wanted));
    },
    get(uid) {
      return Promise.resolve(users.get(uid));
    },
    list() {
      return Promise.resolve([...users.values()].sort((a, b) => a.uid - b.uid));
    },
    count() {
      return Promise.resolve(users.size);
    },
    async create(input) {
      lastUid += 1;
      const record = await newUserRecord(lastUid, input);
      if (await store.findByEmail(record.email)) throw emailTakenError(record.email);
      users.set(record.uid, record);
      return record;
    },
    async update(uid, patch) {
      const current = users.get(uid);
      if (!current) throw userNotFoundError(uid);
      const next = await patchedUserRecord(current, patch);
      if (!keepsAnAdmin(uid, next)) throw lastAdminError();
      users.set(uid, next);
      return next;
    },
    delete(uid) {
      if (!users.has(uid)) return Promise.reject(userNotFoundError(uid));
      if (!keepsAnAdmin(uid, undefined)) return Promise.reject(lastAdminError());
      users.delete(uid);
      return Promise.resolve();
    },
  };
  return store;
}
