import { randomBytes } from 'node:crypto';
import {
  artifactKey,
  NotAcceptableError,
  type ModuleDefinition,
  type ModuleObject,
  type RedisKeys,
  defineRedisCommands,
  toModuleObject,
} from '@modfleet/common';
import type { Redis, Result } from 'ioredis';

export interface ModuleStore {
  list(): Promise<ModuleObject[]>;
  get(uid: string): Promise<ModuleObject | undefined>;
  /** `definition` may carry RS's optional metadata (author, license…) beside the eight required fields. */
  create(definition: ModuleDefinition & Record<string, unknown>): Promise<ModuleObject>;
  /** false when no module has that uid. */
  delete(uid: string): Promise<boolean>;
}

/** Claims `<name>@<version>` and stores the object in one step: two creates never share one. */
const CREATE_MODULE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

/** Deletes the object and, when it still points to it, its name. */
const DELETE_MODULE = `
local json = redis.call('HGET', KEYS[2], ARGV[1])
if not json then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: created; 0: the name and version exist. */
    createModuleObject(
      names: string,
      modules: string,
      name: string,
      uid: string,
      json: string,
    ): Result<number, Context>;
    /** 1: deleted; 0: no such module. */
    deleteModuleObject(names: string, modules: string, uid: string, name: string): Result<number, Context>;
  }
}

/** An object stored before a field existed is shown with that field's RS default. */
function read(json: string): ModuleObject {
  const stored = JSON.parse(json) as ModuleObject;
  return toModuleObject(stored, stored.uid);
}

export function createRedisModuleStore(redis: Redis, keys: RedisKeys): ModuleStore {
  defineRedisCommands(redis, {
    createModuleObject: { numberOfKeys: 2, lua: CREATE_MODULE },
    deleteModuleObject: { numberOfKeys: 2, lua: DELETE_MODULE },
  });
  const store: ModuleStore = {
    async list() {
      const all = (await redis.hvals(keys.modules)).map(read);
      return all.sort((a, b) => a.module_name.localeCompare(b.module_name) || a.version - b.version);
    },
    async get(uid) {
      const json = await redis.hget(keys.modules, uid);
      return json ? read(json) : undefined;
    },
    async create(definition) {
      const module = toModuleObject(definition, randomBytes(16).toString('hex'));
      const name = artifactKey(module.module_name, module.version);
      const created = await redis.createModuleObject(
        keys.moduleNames,
        keys.modules,
        name,
        module.uid,
        JSON.stringify(module),
      );
      if (created !== 1) {
        throw new NotAcceptableError(
          'module_exists',
          `Module ${module.module_name} version ${module.version} already exists in the cluster`,
        );
      }
      return module;
    },
    async delete(uid) {
      const existing = await store.get(uid);
      if (!existing) return false;
      const name = artifactKey(existing.module_name, existing.version);
      return (await redis.deleteModuleObject(keys.moduleNames, keys.modules, uid, name)) === 1;
    },
  };
  return store;
}
