import { luaScript } from '../lua-script.js';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';

const HEARTBEAT = luaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1`);

/** Records that the node is alive; false once the node has been removed from the cluster. */
export async function sendHeartbeat(
  redis: Redis,
  keys: RedisKeys,
  nodeUid: number,
  now = Date.now(),
): Promise<boolean> {
  return (await HEARTBEAT.run(redis, [keys.nodes, keys.nodeHeartbeats], [String(nodeUid), String(now)])) === 1;
}
