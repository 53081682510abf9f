import { Redis } from 'ioredis';

/** Where a shard's redis-server listens. */
export interface ShardAddress {
  host: string;
  port: number;
}

/** What INFO replication says about one shard. */
export interface ReplicationInfo {
  role: 'master' | 'slave';
  /** master_repl_offset: on a replica, how far it has applied its master's stream. */
  offset: number;
  /** Replicas: master_link_status is up (the full sync is done). */
  linkUp: boolean;
}

/** The few commands the upgrade sends to shards themselves (fakes in tests). */
export interface ShardControl {
  replication(shard: ShardAddress): Promise<ReplicationInfo>;
  /** CLIENT PAUSE <ms> WRITE: writes wait, reads go on. */
  pauseWrites(shard: ShardAddress, ms: number): Promise<void>;
  unpause(shard: ShardAddress): Promise<void>;
  /** REPLICAOF NO ONE (`of` undefined) or REPLICAOF host port. */
  replicaOf(shard: ShardAddress, of: ShardAddress | undefined): Promise<void>;
}

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

export function parseReplicationInfo(info: string): ReplicationInfo {
  return {
    role: field(info, 'role') === 'slave' ? 'slave' : 'master',
    offset: Number(field(info, 'master_repl_offset') ?? 0),
    linkUp: field(info, 'master_link_status') === 'up',
  };
}

async function withShard<T>(shard: ShardAddress, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: shard.host,
    port: shard.port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 5000,
    enableOfflineQueue: false,
  });
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

/** ShardControl over one short connection per command. */
export const redisShardControl: ShardControl = {
  replication: shard => withShard(shard, async c => parseReplicationInfo(String(await c.call('INFO', 'replication')))),
  pauseWrites: (shard, ms) => withShard(shard, async c => void (await c.call('CLIENT', 'PAUSE', String(ms), 'WRITE'))),
  unpause: shard => withShard(shard, async c => void (await c.call('CLIENT', 'UNPAUSE'))),
  replicaOf: (shard, of) =>
    withShard(shard, async c => {
      if (of) await c.call('REPLICAOF', of.host, String(of.port));
      else await c.call('REPLICAOF', 'NO', 'ONE');
    }),
};
