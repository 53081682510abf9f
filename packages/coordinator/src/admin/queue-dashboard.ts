import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { jsonBody, requirePermission, routes, type Authenticator } from '@modfleet/common';
import { Router } from 'express';
import type { NodeQueues } from '../fleet/dispatch/node-queues.js';
import type { NodeRegistry } from '../nodes/node-registry.js';

/** bull-board over every node queue and the actions queue, for admins only. */
export function queueDashboardRoutes({
  auth,
  nodes,
  queues,
}: {
  auth: Authenticator;
  nodes: NodeRegistry;
  queues: NodeQueues;
}): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(routes.queueDashboard);
  const board = createBullBoard({ queues: [new BullMQAdapter(queues.actions)], serverAdapter });
  let shown = '';
  const router = Router();
  router.use(routes.queueDashboard, requirePermission(auth, 'view_queue_dashboard'), async (_req, _res, next) => {
    // Nodes join and leave: show exactly the current ones.
    const uids = await nodes.uids();
    if (uids.join(',') !== shown) {
      board.replaceQueues([new BullMQAdapter(queues.actions), ...uids.map(uid => new BullMQAdapter(queues.node(uid)))]);
      shown = uids.join(',');
    }
    next();
  });
  // Parsed here so a broken body reaches the RS error handler, not bull-board's own `{error, message}` answer.
  router.use(routes.queueDashboard, ...jsonBody(), serverAdapter.getRouter() as Router);
  return router;
}
