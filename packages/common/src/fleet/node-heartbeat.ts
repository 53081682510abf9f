import type { Redis, Result } from 'ioredis';
import { defineRedisCommands } from '../redis-commands.js';
import type { RedisKeys } from '../redis-keys.js';

/** Only a node still registered gets a heartbeat: a removed node must not linger in the zset. */
const HEARTBEAT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1: recorded; 0: the node is not registered. */
    recordNodeHeartbeat(nodes: string, heartbeats: string, nodeUid: string, now: string): Result<number, Context>;
  }
}

/** Records that the node is alive; false once the node has been removed from the cluster. */
export async function sendHeartbeat(
  redis: Redis,
  keys: RedisKeys,
  nodeUid: number,
  now = Date.now(),
): Promise<boolean> {
  defineRedisCommands(redis, { recordNodeHeartbeat: { numberOfKeys: 2, lua: HEARTBEAT } });
  return (await redis.recordNodeHeartbeat(keys.nodes, keys.nodeHeartbeats, String(nodeUid), String(now))) === 1;
}
