import { artifactJobSchema, NotFoundError, type ActionStore, type Logger } from '@modfleet/common';
import type { NodeQueues } from '../fleet/dispatch/node-queues.js';
import type { NodeRegistry } from './node-registry.js';

export interface NodeRemoval {
  /** Removes the node; its unfinished ops end as cancelled so no action waits on it. Returns how many. */
  remove(uid: number): Promise<number>;
}

export function createNodeRemoval(deps: {
  queues: NodeQueues;
  nodes: NodeRegistry;
  actions: ActionStore;
  logger: Logger;
}): NodeRemoval {
  const { queues, nodes, actions, logger } = deps;
  return {
    async remove(uid) {
      if (!(await nodes.remove(uid))) throw new NotFoundError('node_not_exist', `Node ${uid} does not exist`);
      const queue = queues.node(uid);
      let cancelled = 0;
      try {
        const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);
        for (const job of jobs) {
          const parsed = artifactJobSchema.safeParse(job.data);
          if (parsed.success) {
            const stored = await actions.get(parsed.data.action_uid);
            const op = stored?.ops.find(candidate => candidate.key === parsed.data.op_key);
            if (op)
              await actions.recordOp(parsed.data.action_uid, {
                ...op,
                status: 'cancelled',
                error: 'node removed from the cluster',
              });
          }
          // Frees the parent: when this was its last pending child, the action finishes now.
          if (job.parentKey) await job.removeChildDependency();
          cancelled += 1;
        }
        await queue.obliterate({ force: true });
        await actions.forgetNode(uid);
      } finally {
        await queues.forget(uid);
      }
      logger.info({ node_uid: uid, cancelled }, 'node queue removed');
      return cancelled;
    },
  };
}
