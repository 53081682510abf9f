import { ACTIONS_QUEUE, nodeQueueName, type Logger, type RedisKeys } from '@modfleet/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** One Queue handle per node queue (plus the actions queue), opened on first use and reused. */
export interface NodeQueues {
  readonly actions: Queue;
  node(uid: number): Queue;
  close(): Promise<void>;
}

export function createNodeQueues(connection: Redis, keys: RedisKeys, logger: Logger): NodeQueues {
  const open = (name: string) => {
    const queue = new Queue(name, { connection, prefix: keys.queuePrefix, streams: { events: { maxLen: 1000 } } });
    queue.on('error', err => logger.error({ err, queue: name }, 'queue error'));
    return queue;
  };
  const nodes = new Map<number, Queue>();
  const actions = open(ACTIONS_QUEUE);
  return {
    actions,
    node(uid) {
      let queue = nodes.get(uid);
      if (!queue) {
        queue = open(nodeQueueName(uid));
        nodes.set(uid, queue);
      }
      return queue;
    },
    async close() {
      await Promise.allSettled([actions.close(), ...[...nodes.values()].map(queue => queue.close())]);
    },
  };
}
