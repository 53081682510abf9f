import { BadRequestError, requirePermission, routes, type Authenticator } from '@modfleet/common';
import { Router } from 'express';

import type { ArtifactStore } from './artifact-store.js';
import { nodeInventory } from './inventory-check.js';
import { singleFlight } from './single-flight.js';

export interface InventoryRoutesDeps {
  auth: Authenticator;
  store: ArtifactStore;
  /** This node's uid once registered with the coordinator. */
  nodeUid: () => number | undefined;
}

export function inventoryRoutes({ auth, store, nodeUid }: InventoryRoutesDeps): Router {
  const router = Router();
  const deepInventory = singleFlight(() => nodeInventory(store, nodeUid(), true));
  router.get(routes.localInventory, requirePermission(auth, 'view_cluster_modules'), async (req, res) => {
    const deep = req.query.deep;
    if (deep !== undefined && deep !== 'true' && deep !== 'false') {
      throw new BadRequestError('invalid_parameter', 'deep must be true or false');
    }
    res.json(await (deep === 'true' ? deepInventory() : nodeInventory(store, nodeUid(), false)));
  });
  return router;
}
