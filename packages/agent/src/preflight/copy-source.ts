import { setTimeout as sleep } from 'node:timers/promises';
import { infoField, type PreflightShardRequest, type ShardPlan, type ShardRef } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { directShardClient } from './direct-shard-client.js';

/** Where the pre-flight copies a shard's data from: the shard itself or its replica (`from`). */
export interface CopySource {
  host: string;
  port: number;
  from?: ShardRef;
}

/** How long a copy from the replica waits for the replica's own node to take its copy first. */
const FIRST_COPY_WAIT_MS = 1000;
const POLL_MS = 20;

/**
 * The replica's node copies the data too, then rehearses with it (the longer chain), and a replica
 * forks for one copy at a time: this copy waits (up to FIRST_COPY_WAIT_MS) until the replica forks
 * for that one (a fork running, or one begun since the first look), so it runs beside the
 * rehearsal instead of before it.
 */
async function afterFirstCopyBegan(client: Redis, waitMs: number): Promise<void> {
  const forks = async () => {
    const info = String(await client.call('INFO'));
    return {
      count: Number(infoField(info, 'total_forks')),
      running: infoField(info, 'rdb_bgsave_in_progress') === '1',
    };
  };
  const first = await forks();
  const deadline = Date.now() + waitMs;
  for (let now = first; !now.running && now.count === first.count && Date.now() < deadline; now = await forks())
    await sleep(POLL_MS);
}

/**
 * The replica the coordinator named when it is in sync with this shard (a fork of the replica
 * costs the database's clients nothing, a fork of the master they write to does), else the shard
 * itself, so a lagging or unreachable replica never stands in for the shard's current data.
 */
export async function copySourceFor(
  plan: ShardPlan,
  probeHost: string,
  copyFrom: PreflightShardRequest['copy_from'],
  here: { nodeUid: number; timeoutMs: number },
): Promise<CopySource> {
  const own = { host: probeHost, port: plan.port };
  if (!copyFrom) return own;
  const client = directShardClient(copyFrom.host, copyFrom.port);
  try {
    await client.connect();
    const info = String(await client.call('INFO', 'replication'));
    const inSync =
      infoField(info, 'role') === 'slave' &&
      infoField(info, 'master_link_status') === 'up' &&
      Number(infoField(info, 'master_port')) === plan.port;
    if (!inSync) return own;
    // No wait for a replica on this node: a node takes its shards in turn, so its copy comes after.
    if (copyFrom.node_uid !== here.nodeUid)
      await afterFirstCopyBegan(client, Math.min(FIRST_COPY_WAIT_MS, here.timeoutMs / 4));
    return {
      host: copyFrom.host,
      port: copyFrom.port,
      from: { node_uid: copyFrom.node_uid, shard_uid: copyFrom.shard_uid },
    };
  } catch {
    return own;
  } finally {
    client.disconnect();
  }
}
