import type { Redis } from 'ioredis';
import type { LoadCheck } from '../modules/load-check-types.js';
import type { RedisKeys } from '../redis-keys.js';

export const artifactKey = (moduleName: string, version: number) => `${moduleName}@${version}`;

/** Every node reports what it holds (`<name>@<version>` → sha256) so the fleet view can show drift. */
export async function reportInventory(
  redis: Redis,
  keys: RedisKeys,
  nodeUid: number,
  artifacts: { module_name: string; version: number; sha256: string; load_check?: LoadCheck | undefined }[],
): Promise<void> {
  const key = keys.nodeInventory(nodeUid);
  const checksKey = keys.nodeLoadChecks(nodeUid);
  const tx = redis.multi().del(key).del(checksKey);
  if (artifacts.length > 0)
    tx.hset(key, Object.fromEntries(artifacts.map(a => [artifactKey(a.module_name, a.version), a.sha256])));
  const checked = artifacts.filter(a => a.load_check);
  if (checked.length > 0)
    tx.hset(
      checksKey,
      Object.fromEntries(checked.map(a => [artifactKey(a.module_name, a.version), JSON.stringify(a.load_check)])),
    );
  await tx.exec();
}

/** `<name>@<version>` → the load check the node made of what it holds. */
export async function readLoadChecks(redis: Redis, keys: RedisKeys, nodeUid: number): Promise<Map<string, LoadCheck>> {
  const all = await redis.hgetall(keys.nodeLoadChecks(nodeUid));
  return new Map(Object.entries(all).map(([key, json]) => [key, JSON.parse(json) as LoadCheck]));
}

export async function readInventory(redis: Redis, keys: RedisKeys, nodeUid: number): Promise<Map<string, string>> {
  return new Map(Object.entries(await redis.hgetall(keys.nodeInventory(nodeUid))));
}
