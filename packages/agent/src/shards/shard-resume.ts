import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { infoField, type ShardPlan } from '@modfleet/common';
import { Redis } from 'ioredis';
import { isAlive, sendInlineCommand, stopShardProcess } from './shard-process.js';

/**
 * A planned restart (the shard's plan changed, e.g. an upgrade's new module version) of a shard
 * that comes back as a replica: redis-server saves its data to dump.rdb before it stops, with its
 * replication id and offset, and the new process loads that file and asks its master for a
 * partial resync (+CONTINUE) instead of a full copy of the data. A crash restart is not one of
 * these: it starts as before.
 */
export const resumesFromShutdownSnapshot = (plan: ShardPlan) => plan.role !== 'master' && plan.replica_of !== undefined;

/** How long the save may take (writing the whole data set to disk) before SIGTERM/SIGKILL. */
const SAVE_GRACE_MS = 60_000;
const POLL_MS = 20;

const shardClient = (host: string, port: number) =>
  new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 5000,
  });

/**
 * `BGSAVE` and its end: true once a save begun now finished well. In the background, not
 * `SHUTDOWN SAVE`: writing 100 MiB took seconds, and an old master still paused by the switch
 * would hold its clients (and the coordinator's `REPLICAOF` + `CLIENT UNPAUSE`) all that time.
 * The file holds the data and replication offset as of the fork; what the shard receives after
 * it the master sends again from its backlog. Uncompressed: the save and the load cost less CPU.
 */
async function saveInBackground(host: string, port: number): Promise<boolean> {
  const client = shardClient(host, port);
  try {
    await client.connect();
    const saves = async () => {
      const info = String(await client.call('INFO', 'persistence'));
      return {
        count: Number(infoField(info, 'rdb_saves')),
        running: infoField(info, 'rdb_bgsave_in_progress') !== '0',
        ok: infoField(info, 'rdb_last_bgsave_status') === 'ok',
      };
    };
    const before = (await saves()).count;
    await client.call('CONFIG', 'SET', 'rdbcompression', 'no');
    // SCHEDULE: an AOF rewrite or a replica's sync may hold the one fork a server runs at a time.
    await client.call('BGSAVE', 'SCHEDULE');
    const deadline = Date.now() + SAVE_GRACE_MS;
    while (Date.now() < deadline) {
      const now = await saves();
      if (now.count > before && !now.running) return now.ok;
      await sleep(POLL_MS);
    }
    return false;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Sends `SHUTDOWN NOSAVE` (the save was just done): true once the server closed the connection. */
async function sendShutdown(host: string, port: number): Promise<boolean> {
  // A refused shutdown answers `-ERR ...` and stays up; a done one just closes.
  const outcome = await sendInlineCommand(host, port, 'SHUTDOWN NOSAVE', SAVE_GRACE_MS);
  return outcome !== undefined && 'closed' in outcome;
}

/**
 * Saves the shard's data to dump.rdb, then stops it. True: saved and exited, the dump.rdb holds
 * its data and replication offset. False: the save failed or it did not exit (then it is stopped
 * as usual, SIGTERM then SIGKILL).
 */
export async function stopShardSaving(host: string, port: number, pid: number): Promise<boolean> {
  const saved = (await saveInBackground(host, port)) && (await sendShutdown(host, port));
  const deadline = Date.now() + SAVE_GRACE_MS;
  while (saved && isAlive(pid) && Date.now() < deadline) await sleep(POLL_MS);
  if (saved && !isAlive(pid)) return true;
  await stopShardProcess(pid);
  return false;
}

/**
 * After a start from the shutdown snapshot: an AOF shard turns AOF back on (`CONFIG SET
 * appendonly yes` writes a fresh AOF base of what it loaded, the replication stream following)
 * and is reported running only once that rewrite is done, as its AOF holds all its data again.
 * Until then its old AOF, as of the shutdown, is still the one a crash would load.
 * Then the snapshot is removed unless snapshots are its persistence: a database without
 * persistence keeps no copy of its data on disk beyond the restart.
 */
export async function finishShutdownSnapshotStart(
  host: string,
  plan: ShardPlan,
  dir: string,
  timeoutMs: number,
): Promise<void> {
  if (plan.data_persistence === 'aof') {
    const client = shardClient(host, plan.port);
    try {
      await client.connect();
      await client.call('CONFIG', 'SET', 'appendonly', 'yes');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = String(await client.call('INFO', 'persistence'));
        const rewriting =
          infoField(info, 'aof_rewrite_in_progress') !== '0' || infoField(info, 'aof_rewrite_scheduled') !== '0';
        if (!rewriting && infoField(info, 'aof_last_bgrewrite_status') !== 'ok')
          throw new Error('could not write a new AOF after the restart');
        if (!rewriting && infoField(info, 'aof_rewrites') !== '0') break;
        if (Date.now() > deadline)
          throw new Error(`the new AOF was not written within ${Math.round(timeoutMs / 1000)} s`);
        await sleep(50);
      }
    } finally {
      client.disconnect();
    }
  }
  if (plan.data_persistence !== 'snapshot') await rm(join(dir, 'dump.rdb'), { force: true });
}
