/**
 * What the scale bench reads around a simulated cluster besides the push itself: the coordinator's
 * CPU for status polls, Redis memory under the prefix and Redis connections.
 */
import { execFileSync } from 'node:child_process';
import { pathTo, routes } from '@modfleet/common';
import { REDIS_URL, withRedis } from '../../test/helpers/redis.js';
import { sampleMemory } from './fleet-memory.js';
import { requestJson } from './fleet-http.js';
import { processCpuMs } from './process-cpu.js';
import type { SimCluster } from './sim-cluster.js';

const REDIS_ADDR = new URL(REDIS_URL).host;

/** Coordinator CPU of one GET /v2/actions/<uid> (what `modfleet push` polls for its bars), the mean of `count`. */
export async function statusPollCpuMs(cluster: SimCluster, actionUid: string, count = 20): Promise<number> {
  const before = processCpuMs(cluster.coordinator.pid);
  for (let i = 0; i < count; i += 1) {
    const res = await requestJson('GET', `${cluster.coordinatorUrl}${pathTo(routes.action, { uid: actionUid })}`);
    if (res.status !== 200) throw new Error(`GET action answered ${res.status}`);
  }
  return (processCpuMs(cluster.coordinator.pid) - before) / count;
}

/**
 * Bytes held by the keys under the cluster's prefix, and used_memory of the whole Redis (it is
 * shared: used_memory is everyone's).
 */
export async function redisMemory(prefix: string): Promise<{ prefixBytes: number; usedMemory: number }> {
  const { prefixBytes, usedMemory } = await withRedis(redis => sampleMemory(redis, prefix, 0));
  return { prefixBytes, usedMemory };
}

/** TCP connections to Redis held by these processes (the Redis is shared: connected_clients is everyone's). */
export function redisConnections(pids: number[]): number {
  const out = execFileSync('ss', ['-tnpH', 'dst', REDIS_ADDR], { encoding: 'utf8' });
  return out.split('\n').filter(line => pids.some(pid => line.includes(`pid=${pid},`))).length;
}
