import { ServiceUnavailableError } from '@modfleet/common';
import type { Cluster, Redis } from 'ioredis';

/** How long a push or delete waits for a replica to confirm its writes before answering 503. */
export const REPLICA_ACK_TIMEOUT_MS = 5_000;

/** Confirms that what this process wrote so far reached a replica, when the master has any. */
export type ReplicaAck = () => Promise<void>;

const asCluster = (redis: Redis) =>
  (redis as unknown as { isCluster?: boolean }).isCluster ? (redis as unknown as Cluster) : undefined;

/**
 * WAIT counts the writes of the connection it runs on, so it must run on the connection that wrote:
 * in a Redis Cluster, the node connection serving the prefix's slot (every modfleet key carries its
 * hash tag), elsewhere the connection itself.
 */
async function writerOf(redis: Redis, slotKey: string): Promise<Redis> {
  const cluster = asCluster(redis);
  if (!cluster) return redis;
  const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', slotKey));
  const owner = cluster.slots[slot]?.[0];
  const node = cluster.nodes('master').find(each => `${each.options.host}:${each.options.port}` === owner);
  if (!node)
    throw new ServiceUnavailableError(
      'redis_unavailable',
      'No Redis Cluster master serves this prefix yet; try again shortly',
    );
  return node;
}

async function connectedReplicas(redis: Redis): Promise<number> {
  const info = await redis.info('replication');
  return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
}

function notConfirmed(timeoutMs: number): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'replica_not_confirmed',
    `No Redis replica confirmed the action within ${timeoutMs / 1000} s, so it could be lost in a failover; ` +
      'send the request again (a repeated push joins the same action)',
  );
}

/** Resolves with `work`'s answer, or with `fallback` once the deadline passes (a queue connection waits out outages). */
function bounded<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>(resolve => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * After a push or delete wrote its action record and jobs: the 202 promises they survive a
 * failover, so at least one replica must hold them. A master without replicas (standalone
 * Redis) answers at once, without the WAIT.
 */
export function createReplicaAck(deps: {
  /**
   * The connection(s) that wrote last. WAIT waits for the replication offset of that connection's
   * last write, and the offset is one sequence for the whole master: the queue connection, which adds
   * the jobs after the action record went in through the CCS connection, covers both. WAIT blocks the
   * connection it runs on, so it never runs on the CCS connection every HTTP request shares.
   */
  writers: Redis[];
  /** Any key under the prefix: in a cluster, its slot names the node that took the writes. */
  slotKey: string;
  timeoutMs?: number;
}): ReplicaAck {
  const { writers, slotKey, timeoutMs = REPLICA_ACK_TIMEOUT_MS } = deps;
  return async () => {
    const acked = await Promise.all(
      writers.map(connection =>
        // The whole check is bounded, INFO included: the queue connection queues commands while it reconnects.
        bounded(
          (async () => {
            const writer = await writerOf(connection, slotKey);
            if ((await connectedReplicas(writer)) === 0) return true;
            return (await writer.wait(1, timeoutMs)) >= 1;
          })(),
          timeoutMs + 1_000,
          false,
        ),
      ),
    );
    if (acked.includes(false)) throw notConfirmed(timeoutMs);
  };
}
