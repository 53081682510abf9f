import { infoField } from '@modfleet/common';
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

/** A master's INFO stats counters of the syncs its replicas asked for. */
export interface SyncCounters {
  /** sync_full: full copies of the data sent. */
  full: number;
  /** sync_partial_ok: PSYNCs answered +CONTINUE (only the backlog's missing part sent). */
  partialOk: number;
}

/** The few commands the upgrade sends to shards themselves (fakes in tests). */
export interface ShardControl {
  replication(shard: ShardAddress): Promise<ReplicationInfo>;
  /** INFO stats' sync counters (absent in fakes: how a replica resynced is then not reported). */
  syncCounters?(shard: ShardAddress): Promise<SyncCounters>;
  /** CLIENT PAUSE <ms> WRITE: writes wait, reads go on. */
  pauseWrites(shard: ShardAddress, ms: number): Promise<void>;
  unpause(shard: ShardAddress): Promise<void>;
  /** REPLICAOF NO ONE (`of` undefined) or REPLICAOF host port. */
  replicaOf(shard: ShardAddress, of: ShardAddress | undefined): Promise<void>;
  /**
   * REPLICAOF `of` then CLIENT UNPAUSE, sent together on one connection so the shard runs them in
   * that order: every write the pause held is refused READONLY, none is acknowledged by it.
   */
  demote(shard: ShardAddress, of: ShardAddress): Promise<void>;
  /**
   * The same commands over one connection per shard kept until close(): the failover's switch,
   * while clients wait, pays no connection setup. Absent (fakes): the control itself is used.
   */
  session?(): ShardControl & { close(): void };
}

export function parseReplicationInfo(info: string): ReplicationInfo {
  return {
    role: infoField(info, 'role') === 'slave' ? 'slave' : 'master',
    offset: Number(infoField(info, 'master_repl_offset') ?? 0),
    linkUp: infoField(info, 'master_link_status') === 'up',
  };
}

export function parseSyncCounters(info: string): SyncCounters {
  return {
    full: Number(infoField(info, 'sync_full') ?? 0),
    partialOk: Number(infoField(info, 'sync_partial_ok') ?? 0),
  };
}

type RunOnShard = <T>(shard: ShardAddress, run: (client: Redis) => Promise<T>) => Promise<T>;

function shardClient(shard: ShardAddress): Redis {
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
  client.on('error', () => undefined);
  return client;
}

/** One short connection per command. */
const onNewConnection: RunOnShard = async (shard, run) => {
  const client = shardClient(shard);
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
};

/** One connection per shard, opened on first use and kept until close(); a failed command drops it. */
function keptConnections(): { run: RunOnShard; close: () => void } {
  const open = new Map<string, Promise<Redis>>();
  const connected = (shard: ShardAddress) => {
    const key = `${shard.host}:${shard.port}`;
    let client = open.get(key);
    if (!client) {
      const fresh = shardClient(shard);
      client = fresh.connect().then(() => fresh);
      client.catch(() => open.delete(key));
      open.set(key, client);
    }
    return { key, client };
  };
  return {
    async run(shard, run) {
      const { key, client } = connected(shard);
      const redis = await client;
      try {
        return await run(redis);
      } catch (err) {
        open.delete(key);
        redis.disconnect();
        throw err;
      }
    },
    close: () => {
      for (const client of open.values())
        void client.then(
          c => c.disconnect(),
          () => undefined,
        );
      open.clear();
    },
  };
}

function commandsOver(onShard: RunOnShard): Required<Omit<ShardControl, 'session'>> {
  return {
    replication: shard => onShard(shard, async c => parseReplicationInfo(String(await c.call('INFO', 'replication')))),
    syncCounters: shard => onShard(shard, async c => parseSyncCounters(String(await c.call('INFO', 'stats')))),
    pauseWrites: (shard, ms) => onShard(shard, async c => void (await c.call('CLIENT', 'PAUSE', String(ms), 'WRITE'))),
    unpause: shard => onShard(shard, async c => void (await c.call('CLIENT', 'UNPAUSE'))),
    replicaOf: (shard, of) =>
      onShard(shard, async c => {
        if (of) await c.call('REPLICAOF', of.host, String(of.port));
        else await c.call('REPLICAOF', 'NO', 'ONE');
      }),
    demote: (shard, of) =>
      onShard(shard, async c => {
        const replies = await c.pipeline().call('REPLICAOF', of.host, String(of.port)).call('CLIENT', 'UNPAUSE').exec();
        const failed = replies?.find(([err]) => err)?.[0];
        if (failed) throw failed;
      }),
  };
}

/** ShardControl over one short connection per command; session() keeps them for a switch. */
export const redisShardControl: ShardControl = {
  ...commandsOver(onNewConnection),
  session() {
    const kept = keptConnections();
    return { ...commandsOver(kept.run), close: kept.close };
  },
};
