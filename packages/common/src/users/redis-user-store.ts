import type { Redis, Result } from 'ioredis';
import { defineRedisCommands } from '../redis-commands.js';
import type { RedisKeys } from '../redis-keys.js';
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

/** Claims the email and stores the record in one step, so two creates can never share an email. */
const CREATE_USER = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

/**
 * Replaces (ARGV[2] = new JSON) or deletes (ARGV[2] = '') user ARGV[1], refusing with -1 when
 * that would leave no admin. Check and write are one step, so two concurrent demotions or
 * deletions can never remove the last two admins together.
 */
const WRITE_KEEPING_AN_ADMIN = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local user = cjson.decode(current)
local staysAdmin = ARGV[2] ~= '' and cjson.decode(ARGV[2]).role == 'admin'
if user.role == 'admin' and not staysAdmin then
  local others = 0
  for _, json in ipairs(redis.call('HVALS', KEYS[1])) do
    local other = cjson.decode(json)
    if other.role == 'admin' and tostring(other.uid) ~= ARGV[1] then others = others + 1 end
  end
  if others == 0 then return -1 end
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], user.email)
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: created; 0: the email is taken. */
    createUserRecord(emails: string, users: string, email: string, uid: string, json: string): Result<number, Context>;
    /** 1: written; 0: no such user; -1: refused, it would leave no admin. */
    writeUserKeepingAnAdmin(users: string, emails: string, uid: string, json: string): Result<number, Context>;
  }
}

export function createRedisUserStore(redis: Redis, keys: RedisKeys): UserStore {
  defineRedisCommands(redis, {
    createUserRecord: { numberOfKeys: 2, lua: CREATE_USER },
    writeUserKeepingAnAdmin: { numberOfKeys: 2, lua: WRITE_KEEPING_AN_ADMIN },
  });
  const parse = (json: string | null | undefined): UserRecord | undefined =>
    json ? (JSON.parse(json) as UserRecord) : undefined;

  const published = async () => {
    await redis.publish(keys.usersChanged, '1');
  };

  const store: UserStore = {
    async findByEmail(email) {
      const uid = await redis.hget(keys.userEmails, normalizeEmail(email));
      return uid ? parse(await redis.hget(keys.users, uid)) : undefined;
    },

    async get(uid) {
      return parse(await redis.hget(keys.users, String(uid)));
    },

    async list() {
      const all = await redis.hvals(keys.users);
      return all.map(json => JSON.parse(json) as UserRecord).sort((a, b) => a.uid - b.uid);
    },

    count() {
      return redis.hlen(keys.users);
    },

    async create(input) {
      const record = await newUserRecord(await redis.incr(keys.userUidSeq), input);
      const created = await redis.createUserRecord(
        keys.userEmails,
        keys.users,
        record.email,
        String(record.uid),
        JSON.stringify(record),
      );
      if (created !== 1) throw emailTakenError(record.email);
      await published();
      return record;
    },

    async update(uid, patch) {
      const current = await store.get(uid);
      if (!current) throw userNotFoundError(uid);
      const next = await patchedUserRecord(current, patch);
      await writeKeepingAnAdmin(uid, JSON.stringify(next));
      return next;
    },

    async delete(uid) {
      await writeKeepingAnAdmin(uid, '');
    },
  };

  async function writeKeepingAnAdmin(uid: number, json: string): Promise<void> {
    const result = await redis.writeUserKeepingAnAdmin(keys.users, keys.userEmails, String(uid), json);
    if (result === 0) throw userNotFoundError(uid);
    if (result === -1) throw lastAdminError();
    await published();
  }

  return store;
}
