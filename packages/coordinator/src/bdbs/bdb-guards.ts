import {
  artifactKey,
  ConflictError,
  NotAcceptableError,
  requirePermission,
  routes,
  type Authenticator,
} from '@modfleet/common';
import { Router, type RequestHandler } from 'express';
import type { BdbRecord, BdbStore } from './bdb-store.js';

const uidsOf = (records: BdbRecord[]) => records.map(r => r.uid).join(', ');

async function using(store: BdbStore, uses: (record: BdbRecord) => boolean): Promise<BdbRecord[]> {
  return (await store.list()).filter(uses);
}

const loads = (record: BdbRecord, key: string) =>
  record.placement.some(s => s.plan.modules.some(m => artifactKey(m.module_name, m.version) === key));

/**
 * What databases still need cannot be taken away (the RS operator's rule): a module object or a
 * fleet artifact a database loads answers 406 `module_in_use`, a node hosting a shard 409, each
 * naming the databases. Mounted before the routes they guard; authorization comes first, so only
 * a caller who may delete learns the uids.
 */
export function bdbGuardRoutes({ auth, store }: { auth: Authenticator; store: BdbStore }): Router {
  const router = Router();
  const guard =
    (check: (params: Record<string, string>) => Promise<void>): RequestHandler =>
    async (req, _res, next) => {
      await check(req.params as Record<string, string>);
      next();
    };

  router.delete(
    routes.userDefinedModule,
    requirePermission(auth, 'manage_cluster_modules'),
    guard(async ({ uid }) => {
      const inUse = await using(store, r => r.module_list.some(m => m.module_id === uid));
      if (inUse.length > 0) {
        throw new NotAcceptableError('module_in_use', `Module ${uid} is used by database(s) ${uidsOf(inUse)}`);
      }
    }),
  );

  router.delete(
    routes.fleetArtifact,
    requirePermission(auth, 'manage_cluster_modules'),
    guard(async ({ moduleName, version }) => {
      const key = artifactKey(moduleName!, Number(version));
      const inUse = await using(store, r => loads(r, key));
      if (inUse.length > 0) {
        throw new NotAcceptableError('module_in_use', `Artifact ${key} is used by database(s) ${uidsOf(inUse)}`);
      }
    }),
  );

  router.delete(
    routes.node,
    requirePermission(auth, 'update_node'),
    guard(async ({ uid }) => {
      const hosting = await using(store, r => r.placement.some(s => String(s.node_uid) === uid));
      if (hosting.length > 0) {
        throw new ConflictError('node_hosts_shards', `Node ${uid} hosts shards of database(s) ${uidsOf(hosting)}`);
      }
    }),
  );

  return router;
}
