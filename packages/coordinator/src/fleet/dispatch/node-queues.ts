import { ACTIONS_QUEUE, nodeQueueName, QUEUE_EVENTS_MAX_LEN, type Logger, type RedisKeys } from '@modfleet/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * One Queue handle per node queue (plus the actions queue), opened on first use and reused.
 * Opening a handle is also what caps the queue's event stream, so every node's is opened
 * when it registers and at start.
 */
export interface NodeQueues {
  readonly actions: Queue;
  node(uid: number): Queue;
  /** Closes and drops a node's handle (the node left; its queue is gone). */
  forget(uid: number): Promise<void>;
  close(): Promise<void>;
}

export function createNodeQueues(connection: Redis, keys: RedisKeys, logger: Logger): NodeQueues {
  const open = (name: string) => {
    const queue = new Queue(name, {
      connection,
      prefix: keys.queuePrefix,
      streams: { events: { maxLen: QUEUE_EVENTS_MAX_LEN } },
    });
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
    async forget(uid) {
      const queue = nodes.get(uid);
      nodes.delete(uid);
      await queue?.close();
    },
    async close() {
      await Promise.allSettled([actions.close(), ...[...nodes.values()].map(queue => queue.close())]);
    },
  };
}
