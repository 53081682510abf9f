import type { Redis } from 'ioredis';

/** A Lua script as ioredis `defineCommand` takes it; without `numberOfKeys` the caller passes the count first. */
export interface RedisCommand {
  lua: string;
  numberOfKeys?: number;
}

/**
 * Defines each command on the connection (ioredis then sends it by EVALSHA, its text only where a
 * server lacks it) unless the connection has it already: stores that share a connection each
 * define theirs when built, and a store built again must not make ioredis resend every script.
 * Keys are passed as they are (modfleet's connections set no ioredis `keyPrefix`), so each keeps
 * the prefix's Redis Cluster hash tag. A name already taken, by another script or by an ioredis
 * method, throws: the store would run the wrong code.
 */
export function defineRedisCommands(redis: Redis, commands: Record<string, RedisCommand>): void {
  const defined = redis.scriptsSet as Record<string, { lua: string } | undefined>;
  for (const [name, command] of Object.entries(commands)) {
    const existing = defined[name];
    if (existing?.lua === command.lua) continue;
    if (existing || name in redis) throw new Error(`Redis command ${name} is already taken on this connection`);
    redis.defineCommand(name, command);
  }
}
