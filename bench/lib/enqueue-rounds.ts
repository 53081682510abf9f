/**
 * The three ways the enqueue bench adds the same 1,000 node jobs to Redis: the coordinator's
 * dispatcher (flows), BullMQ's Queue.addBulk, and a bare RPUSH pipeline (the floor).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createRedisActionStore,
  FINISHED_JOB_RETENTION,
  NODE_JOB_ATTEMPTS,
  NODE_JOB_BACKOFF,
  nodeQueueName,
  pathTo,
  redisKeys,
  routes,
  type ArtifactJob,
} from '@modfleet/common';
import { createDispatcher, createRedisInflightStore, type ActionRequest } from '@modfleet/coordinator';
import { FlowProducer, Queue, QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';
import { epochMs } from './fleet-http.js';

export const NODE_JOBS = 1000;
export const NODES = 3;

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
export async function inParallel(
  count: number,
  limit: number,
  work: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

/** 1,000 node ops as pushes to all 3 nodes: 333 × 3 + 1 × 1. */
export function plannedPushes(tag: string): ActionRequest[] {
  const requests: ActionRequest[] = [];
  for (let ops = 0, version = 1; ops < NODE_JOBS; version += 1) {
    const nodes = Math.min(NODES, NODE_JOBS - ops);
    const sha256 = randomBytes(32).toString('hex');
    const name = `BenchEnqueue${tag}@${version}`;
    requests.push({
      name: 'install_module_artifact',
      description: `Install ${name} on every node`,
      object_type: 'module_artifact',
      object_uid: name,
      dedupeKey: `install|${name}|${sha256}|all`,
      ops: Array.from({ length: nodes }, (_, index) => ({
        node_uid: index + 1,
        op: 'install' as const,
        module_name: `BenchEnqueue${tag}`,
        version,
        sha256,
        size: 4502,
      })),
    });
    ops += nodes;
  }
  return requests;
}

/** Jobs waiting in node-1..3 under a BullMQ prefix (nothing consumes them). */
export async function waitingJobs(redis: Redis, queuePrefix: string): Promise<number> {
  const queueKeys = new QueueKeys(queuePrefix);
  let total = 0;
  for (let node = 1; node <= NODES; node += 1) total += await redis.llen(queueKeys.toKey(nodeQueueName(node), 'wait'));
  return total;
}

export interface Connections {
  redis: Redis;
  queueConnection: Redis;
}

/** The dispatcher as the coordinator wires it (main.ts), on its own prefix; `count` pushes timed. */
export async function dispatcherRound(
  conns: Connections,
  prefix: string,
  requests: ActionRequest[],
  lanes: number,
): Promise<number> {
  const keys = redisKeys(prefix);
  const flows = new FlowProducer({ connection: conns.queueConnection, prefix: keys.queuePrefix });
  try {
    const dispatcher = createDispatcher({
      inflight: createRedisInflightStore(conns.redis, keys),
      actions: createRedisActionStore(conns.redis, keys),
      flows,
    });
    const started = epochMs();
    await inParallel(requests.length, lanes, async index => {
      const { reused } = await dispatcher.dispatch(requests[index]!);
      if (reused) throw new Error('a distinct push was deduplicated');
    });
    const elapsed = epochMs() - started;
    const jobs = await waitingJobs(conns.redis, keys.queuePrefix);
    const expected = requests.reduce((sum, request) => sum + request.ops.length, 0);
    if (jobs !== expected) throw new Error(`expected ${expected} waiting node jobs, found ${jobs}`);
    return elapsed;
  } finally {
    await flows.close();
  }
}

/** The same 1,000 node jobs (payload and options) added with Queue.addBulk, one call per node queue. */
export async function addBulkRound(conns: Connections, prefix: string): Promise<number> {
  const { queuePrefix } = redisKeys(prefix);
  const queues = Array.from(
    { length: NODES },
    (_, index) => new Queue(nodeQueueName(index + 1), { connection: conns.queueConnection, prefix: queuePrefix }),
  );
  try {
    await Promise.all(queues.map(queue => queue.waitUntilReady()));
    const perQueue = queues.map(() => [] as { name: string; data: ArtifactJob; opts: Record<string, unknown> }[]);
    for (let i = 0; i < NODE_JOBS; i += 1) {
      const node = (i % NODES) + 1;
      const action_uid = randomUUID();
      const sha256 = randomBytes(32).toString('hex');
      perQueue[node - 1]!.push({
        name: 'install',
        data: {
          action_uid,
          op_key: `${node}-0`,
          node_uid: node,
          op: 'install',
          module_name: 'BenchEnqueueBulk',
          version: i + 1,
          sha256,
          url: pathTo(routes.blob, { sha256 }),
          size: 4502,
        },
        opts: {
          jobId: `${action_uid}-${node}-0`,
          attempts: NODE_JOB_ATTEMPTS,
          backoff: NODE_JOB_BACKOFF,
          ...FINISHED_JOB_RETENTION,
        },
      });
    }
    const started = epochMs();
    await Promise.all(queues.map((queue, index) => queue.addBulk(perQueue[index]!)));
    const elapsed = epochMs() - started;
    const jobs = await waitingJobs(conns.redis, queuePrefix);
    if (jobs !== NODE_JOBS) throw new Error(`expected ${NODE_JOBS} waiting jobs after addBulk, found ${jobs}`);
    return elapsed;
  } finally {
    await Promise.all(queues.map(queue => queue.close()));
  }
}

/** The floor: 1,000 RPUSH of the same JSON payloads in one pipeline. */
export async function rpushRound(conns: Connections, prefix: string): Promise<number> {
  const payloads = Array.from({ length: NODE_JOBS }, (_, i) =>
    JSON.stringify({ action_uid: randomUUID(), op: 'install', module_name: 'BenchEnqueueList', version: i + 1 }),
  );
  const started = epochMs();
  const list = redisKeys(prefix).child('list');
  const tx = conns.redis.pipeline();
  for (const payload of payloads) tx.rpush(list, payload);
  await tx.exec();
  const elapsed = epochMs() - started;
  if ((await conns.redis.llen(list)) !== NODE_JOBS) throw new Error('RPUSH lost items');
  return elapsed;
}
