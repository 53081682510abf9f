import { randomBytes } from 'node:crypto';
import { readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathTo, routes, type ShardObject } from '@modfleet/common/contract';
import type { Redis } from 'ioredis';
import type { ApiClient } from '../client/api-client.js';
import type { ChaosVictim } from './chaos.js';
import { dbConnection, type LoadDatabase } from './db-ops.js';
import { NotSupervised, supervisedPid } from './supervised-pid.js';

/** The agent's MODFLEET_DATA_DIR, from its environment (as `modfleet up` started it), against its working folder. */
async function agentDataDir(agentPid: number): Promise<string> {
  const environ = (await readFile(`/proc/${agentPid}/environ`, 'utf8')).split('\0');
  const dir = environ.find(entry => entry.startsWith('MODFLEET_DATA_DIR='))?.slice('MODFLEET_DATA_DIR='.length);
  if (!dir)
    throw new NotSupervised(`the agent (pid ${agentPid}) names no MODFLEET_DATA_DIR: its shards cannot be found`);
  return resolve(await readlink(`/proc/${agentPid}/cwd`), dir);
}

/** The pid redis-server wrote into the shard's folder, if that process is a live redis-server. */
async function shardPid(dir: string): Promise<number | undefined> {
  const pid = Number((await readFile(join(dir, 'redis.pid'), 'utf8').catch(() => '')).trim());
  if (!(pid > 0)) return undefined;
  const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return argv.includes('redis-server') ? pid : undefined;
}

/**
 * The master shard of a database as --chaos kills it: its pid from the shard folder of the agent
 * that runs it (an agent of `modfleet up` on this machine, which restarts the shard). Before each
 * kill a key is written; the shard is back once a new process answers with that key.
 */
function shardVictim(coordinator: ApiClient, agents: Map<number, ApiClient>, db: LoadDatabase): ChaosVictim {
  const key = `modfleet-load:chaos:${randomBytes(4).toString('hex')}`;
  let written = '';
  let redis: Redis | undefined;
  let dir: string | undefined;
  const disconnect = () => {
    redis?.disconnect();
    redis = undefined;
  };
  return {
    service: `shard of db ${db.name}`,
    async pid() {
      const shards = await coordinator.get<ShardObject[]>(pathTo(routes.bdbShards, { uid: db.uid }));
      const master = shards.find(shard => shard.role === 'master');
      const agent = master && agents.get(Number(master.node_uid));
      if (!agent) throw new NotSupervised(`database ${db.name} has no master shard on a known node`);
      // The agent package is loaded only by a chaos run that kills shards, not by every CLI start.
      const { shardDirOf } = await import('@modfleet/agent');
      dir = shardDirOf(await agentDataDir(await supervisedPid(agent, 'agent')), db.uid);
      const pid = await shardPid(dir);
      if (pid === undefined) throw new NotSupervised(`no running redis-server is named in ${join(dir, 'redis.pid')}`);
      return pid;
    },
    async beforeKill() {
      disconnect();
      redis = dbConnection(db);
      await redis.connect();
      written = randomBytes(8).toString('hex');
      await redis.set(key, written);
    },
    async back(killedPid) {
      const pid = dir === undefined ? undefined : await shardPid(dir);
      if (pid === undefined || pid === killedPid || !redis) return undefined;
      // Fails while the shard is away or loading; answers once the new process has read its AOF.
      const value = await redis.get(key);
      await redis.del(key);
      disconnect();
      return { pid, dataKept: value === written };
    },
    close: disconnect,
  };
}

/** The master shards of the --db databases; only AOF databases: any other comes back without its data. */
export function shardVictims(
  coordinator: ApiClient,
  agents: Map<number, ApiClient>,
  databases: LoadDatabase[],
): ChaosVictim[] {
  if (databases.length === 0)
    throw new NotSupervised('--chaos shards kills the shards of the --db databases: give --db');
  const notAof = databases.filter(db => db.dataPersistence !== 'aof');
  if (notAof.length > 0)
    throw new NotSupervised(
      `--chaos shards needs AOF databases (data_persistence aof), whose shards come back with every acknowledged write; ${notAof.map(db => `${db.name} has ${db.dataPersistence}`).join(', ')}`,
    );
  return databases.map(db => shardVictim(coordinator, agents, db));
}
