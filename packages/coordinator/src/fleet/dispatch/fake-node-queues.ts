import { ACTIONS_QUEUE, nodeQueueName } from '@modfleet/common';
import type { Queue } from 'bullmq';
import type { NodeQueues } from './node-queues.js';

/**
 * Empty queues that answer what the routes ask of a node queue (its pending jobs, its counts,
 * its removal) without BullMQ, for in-process route tests; jobs are seen through the fake flow
 * producer instead. `metaValues` is what bull-board checks to accept a queue as BullMQ's.
 */
function emptyQueue(name: string): Queue {
  const queue = {
    name,
    metaValues: { version: 'bullmq:fake' },
    getJobs: () => Promise.resolve([]),
    getJobCounts: (...states: string[]) => Promise.resolve(Object.fromEntries(states.map(state => [state, 0]))),
    obliterate: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return queue as unknown as Queue;
}

/** `createNodeQueues`' twin: which node queues were opened and forgotten, and nothing queued. */
export function createFakeNodeQueues(): NodeQueues & { opened: Set<number> } {
  const opened = new Set<number>();
  const nodes = new Map<number, Queue>();
  return {
    opened,
    actions: emptyQueue(ACTIONS_QUEUE),
    node(uid) {
      opened.add(uid);
      let queue = nodes.get(uid);
      if (!queue) nodes.set(uid, (queue = emptyQueue(nodeQueueName(uid))));
      return queue;
    },
    forget(uid) {
      nodes.delete(uid);
      opened.delete(uid);
      return Promise.resolve();
    },
    close() {
      nodes.clear();
      return Promise.resolve();
    },
  };
}
