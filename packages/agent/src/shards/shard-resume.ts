import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ShardPlan } from '@modfleet/common';
import { Redis } from 'ioredis';
import { isAlive, stopShardProcess } from './shard-process.js';

/**
 * A planned restart (the shard's plan changed, e.g. an upgrade's new module version) of a shard
 * that comes back as a replica: redis-server saves its data to dump.rdb at shutdown, with its
 * replication id and offset, and the new process loads that file and asks its master for a
 * partial resync (+CONTINUE) instead of a full copy of the data. A crash restart is not one of
 * these: it starts as before.
 */
export const resumesFromShutdownSnapshot = (plan: ShardPlan) => plan.role !== 'master' && plan.replica_of !== undefined;

/** How long `SHUTDOWN SAVE` may take (writing the whole data set to disk) before SIGTERM/SIGKILL. */
const SAVE_GRACE_MS = 60_000;
const POLL_MS = 10;

/** Sends `SHUTDOWN SAVE`: resolves true once the server closed the connection without an error reply. */
function sendShutdownSave(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(SAVE_GRACE_MS, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('SHUTDOWN SAVE\r\n'));
    socket.on('data', chunk => (answer += chunk.toString('latin1')));
    // A refused shutdown answers `-ERR Errors trying to SHUTDOWN`; a done one just closes.
    socket.on('close', () => done(answer === ''));
  });
}

/**
 * Stops the shard with `SHUTDOWN SAVE`. True: it saved and exited, its dump.rdb is current.
 * False: the save failed or it did not exit (then it is stopped as usual, SIGTERM then SIGKILL).
 */
export async function stopShardSaving(host: string, port: number, pid: number): Promise<boolean> {
  const saved = await sendShutdownSave(host, port);
  const deadline = Date.now() + SAVE_GRACE_MS;
  while (saved && isAlive(pid) && Date.now() < deadline) await sleep(POLL_MS);
  if (saved && !isAlive(pid)) return true;
  await stopShardProcess(pid);
  return false;
}

const persistenceField = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

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
    const client = new Redis({
      host,
      port: plan.port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      connectTimeout: 2000,
      commandTimeout: 5000,
    });
    try {
      await client.connect();
      await client.call('CONFIG', 'SET', 'appendonly', 'yes');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = String(await client.call('INFO', 'persistence'));
        const rewriting =
          persistenceField(info, 'aof_rewrite_in_progress') !== '0' ||
          persistenceField(info, 'aof_rewrite_scheduled') !== '0';
        if (!rewriting && persistenceField(info, 'aof_last_bgrewrite_status') !== 'ok')
          throw new Error('could not write a new AOF after the restart');
        if (!rewriting && persistenceField(info, 'aof_rewrites') !== '0') break;
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
