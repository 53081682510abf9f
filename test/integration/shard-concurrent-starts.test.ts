/** One agent's shard supervisor given 10 databases at once starts them side by side, 8 at most. */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, redisKeys, type ShardPlan, type ShardReport } from '@modfleet/common';
import { startShardSupervisor, type ShardSupervisorDeps } from '@modfleet/agent';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { freePortRange } from '../helpers/processes.js';
import { REDIS_SERVER } from '../helpers/real-module.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A redis-server that writes `start <port>` when launched and `exec <port>` just before it runs. */
async function loggingRedisServer(dir: string): Promise<{ path: string; log: string }> {
  const path = join(dir, 'redis-server-logging');
  const log = join(dir, 'starts.log');
  await writeFile(
    path,
    [
      '#!/bin/sh',
      'port=$2',
      `echo "start $port" >> '${log}'`,
      'sleep 0.3',
      `echo "exec $port" >> '${log}'`,
      `exec '${REDIS_SERVER}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return { path, log };
}

/** The most shards that were launched but not yet running redis-server at one point of the log. */
function mostAtOnce(lines: string[]): number {
  let inFlight = 0;
  let most = 0;
  for (const line of lines) {
    inFlight += line.startsWith('start ') ? 1 : -1;
    most = Math.max(most, inFlight);
  }
  return most;
}

describe('shard starts on one agent', () => {
  it('starts 10 databases planned at once concurrently, at most 8 at a time, and all run', async () => {
    const prefix = uniquePrefix('shard-starts');
    const keys = redisKeys(prefix);
    const redis = new Redis(REDIS_URL);
    const subscriber = new Redis(REDIS_URL);
    const dataDir = await makeTmpDir('modfleet-shard-starts');
    cleanups.push(() => removeDir(dataDir));
    cleanups.push(() => deletePrefix(prefix));
    cleanups.push(() => Promise.all([redis.quit(), subscriber.quit()]));
    const server = await loggingRedisServer(dataDir);
    const low = await freePortRange(10);
    const plans: ShardPlan[] = Array.from({ length: 10 }, (_, i) => ({
      shard_uid: i + 1,
      bdb_uid: i + 1,
      role: 'master',
      port: low + i,
      memory_size: 0,
      data_persistence: 'disabled',
      modules: [],
    }));
    await redis.hset(keys.nodeShards(1), Object.fromEntries(plans.map(p => [String(p.shard_uid), JSON.stringify(p)])));

    const deps: ShardSupervisorDeps = {
      redis,
      subscriber,
      keys,
      nodeUid: 1,
      dataDir,
      bind: '127.0.0.1',
      redisServer: server.path,
      artifacts: { get: () => undefined, zipPath: () => '' },
      maxModuleBytes: 1024,
      logger: createLogger({ name: 'agent', level: 'silent' }),
    };
    const supervisor = await startShardSupervisor(deps);
    cleanups.push(() => supervisor.stop());

    const reports = await pollFor(
      async () => Object.values(await redis.hgetall(keys.shardReports)).map(j => JSON.parse(j) as ShardReport),
      found => found.length === 10 && found.every(r => r.state !== 'starting'),
      'every shard to start',
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    expect(reports.map(r => r.state)).toEqual(plans.map(() => 'running'));
    const lines = (await readFile(server.log, 'utf8')).trim().split('\n');
    expect(lines.filter(l => l.startsWith('start '))).toHaveLength(10);
    // One at a time, each launch waits for the previous shard to answer PING: never 2 in flight.
    expect(mostAtOnce(lines)).toBeGreaterThan(1);
    expect(mostAtOnce(lines)).toBeLessThanOrEqual(8);
  });
});
