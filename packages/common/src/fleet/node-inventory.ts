import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';

export const artifactKey = (moduleName: string, version: number) => `${moduleName}@${version}`;

/** Every node reports what it holds (`<name>@<version>` → sha256) so the fleet view can show drift. */
export async function reportInventory(
  redis: Redis,
  keys: RedisKeys,
  nodeUid: number,
  artifacts: { module_name: string; version: number; sha256: string }[],
): Promise<void> {
  const key = keys.nodeInventory(nodeUid);
  const tx = redis.multi().del(key);
  if (artifacts.length > 0)
    tx.hset(key, Object.fromEntries(artifacts.map(a => [artifactKey(a.module_name, a.version), a.sha256])));
  await tx.exec();
}

export async function readInventory(redis: Redis, keys: RedisKeys, nodeUid: number): Promise<Map<string, string>> {
  return new Map(Object.entries(await redis.hgetall(keys.nodeInventory(nodeUid))));
}
