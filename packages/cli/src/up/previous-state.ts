import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { redisKeys, serviceSchemaOf } from '@modfleet/common';
import { Redis } from 'ioredis';

/** What an earlier cluster left under this Redis prefix, which `up` reuses unless `--fresh`. */
export interface PreviousState {
  prefix: string;
  /** The admin was created by an earlier run: the coordinator never creates it again (its password stays). */
  bootstrapped: boolean;
  users: number;
  nodes: number;
  artifacts: number;
  /** Redis holds a cluster CA other than the one in this data dir: the coordinator replaces it. */
  otherCa: boolean;
}

/** The prefix the services use for `--prefix` (the registry's default when absent). */
export const effectivePrefix = (prefix: string | undefined) =>
  serviceSchemaOf('MODFLEET_PREFIX', 'coordinator').parse(prefix) as string;

async function withRedis<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1500 });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export function readPreviousState(redisUrl: string, prefix: string, caFile: string): Promise<PreviousState> {
  const keys = redisKeys(prefix);
  return withRedis(redisUrl, async redis => {
    const [bootstrapped, users, nodes, artifacts, ca] = await Promise.all([
      redis.exists(keys.adminBootstrapped),
      redis.hlen(keys.users),
      redis.hlen(keys.nodes),
      redis.hlen(keys.fleetArtifacts),
      redis.get(keys.clusterCa),
    ]);
    const ours = (await readFile(caFile, 'utf8')).trim();
    return {
      prefix,
      bootstrapped: bootstrapped === 1,
      users,
      nodes,
      artifacts,
      otherCa: ca !== null && ca.trim() !== ours,
    };
  });
}

/** Every key under the prefix (SCAN + UNLINK, never FLUSHALL: the Redis may be shared); how many went. */
export function wipePrefix(redisUrl: string, prefix: string): Promise<number> {
  return withRedis(redisUrl, async redis => {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', redisKeys(prefix).everyKey, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) removed += await redis.unlink(...found);
    } while (cursor !== '0');
    return removed;
  });
}

/** The services' own data under the data dir; the CA, the cluster secret and the logs stay. */
export async function wipeServiceData(dataDir: string, nodes: number): Promise<string[]> {
  const dirs = [
    join(dataDir, 'coordinator'),
    ...Array.from({ length: nodes }, (_u, i) => join(dataDir, `node-${i + 1}`)),
  ];
  await Promise.all(dirs.map(dir => rm(dir, { recursive: true, force: true })));
  return dirs;
}

/** The banner's `state` line: what this run started from. */
export function describeState(state: PreviousState, freshKeys: number | undefined): string {
  if (freshKeys !== undefined) {
    return `fresh: removed ${freshKeys} Redis key${freshKeys === 1 ? '' : 's'} under prefix "${state.prefix}" and the services' data dirs`;
  }
  if (!state.bootstrapped && state.users + state.nodes + state.artifacts === 0) {
    return `new: Redis prefix "${state.prefix}" held no cluster`;
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `reused from an earlier run under Redis prefix "${state.prefix}": ${plural(state.users, 'user')}, ${plural(state.nodes, 'node')}, ${plural(state.artifacts, 'fleet artifact')} (modfleet up --fresh starts empty)`;
}
