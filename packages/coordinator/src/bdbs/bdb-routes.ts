import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  jsonBody,
  NotFoundError,
  requirePermission,
  routes,
  type Authenticator,
  type ShardObject,
} from '@modfleet/common';
import { Router } from 'express';
import { recordEvent } from '../audit/audit-event.js';
import type { EventLog } from '../audit/event-log.js';
import { createBdb, type BdbCreationDeps } from './bdb-creation.js';
import { parseBdbRequest } from './bdb-request.js';
import { settleBdb } from './bdb-status.js';
import { toBdbObject, type BdbRecord, type BdbStore } from './bdb-store.js';

export interface BdbRoutesDeps extends BdbCreationDeps {
  auth: Authenticator;
  events: EventLog;
}

function parseUid(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError('db_not_exist', `Database UID ${raw} does not exist`);
  return Number(raw);
}

/** The database as it is now (settled from its shards' reports); 404 when there is none. */
async function current(store: BdbStore, raw: string, now?: () => number): Promise<BdbRecord> {
  const uid = parseUid(raw);
  const record = await store.get(uid);
  const settled = record && (await settleBdb(store, record, now));
  if (!settled) throw new NotFoundError('db_not_exist', `Database UID ${uid} does not exist`);
  return settled;
}

/** Every database, each settled from its shards' reports. */
export async function settledBdbs(store: BdbStore, now?: () => number): Promise<BdbRecord[]> {
  const all = await Promise.all((await store.list()).map(record => settleBdb(store, record, now)));
  return all.filter((record): record is BdbRecord => record !== undefined);
}

export function bdbRoutes(deps: BdbRoutesDeps): Router {
  const { auth, store, now, events } = deps;
  const router = Router();

  router.get(routes.bdbs, requirePermission(auth, 'view_all_bdbs_info'), async (_req, res) => {
    res.json((await settledBdbs(store, now)).map(toBdbObject));
  });

  router.post(routes.bdbs, requirePermission(auth, 'create_bdb'), ...jsonBody(), async (req, res) => {
    const record = await createBdb(deps, parseBdbRequest(req.body));
    req.log.info({ uid: record.uid, name: record.name, placement: record.placement }, 'database created');
    await recordEvent(events, req, res, 'cluster_bdb_created', {
      bdb_uid: String(record.uid),
      bdb_name: record.name,
      action_uid: record.action_uid,
    });
    res.json(toBdbObject(record));
  });

  router.get(routes.bdb, requirePermission(auth, 'view_bdb_info'), async (req, res) => {
    res.json(toBdbObject(await current(store, req.params.uid as string, now)));
  });

  router.get(routes.bdbShards, requirePermission(auth, 'view_bdb_info'), async (req, res) => {
    const record = await current(store, req.params.uid as string, now);
    const reports = await store.reports(record.placement.map(s => s.plan.shard_uid));
    const shards: ShardObject[] = record.placement.map(({ node_uid, plan }) => {
      const report = reports.get(plan.shard_uid);
      return {
        uid: String(plan.shard_uid),
        bdb_uid: record.uid,
        node_uid: String(node_uid),
        role: plan.role,
        assigned_slots: '0-16383',
        status: report?.state === 'running' ? 'active' : 'inactive',
        detailed_status: report?.state === 'running' ? 'ok' : (report?.error ?? report?.state ?? 'unknown'),
        loading: { status: 'idle' },
        port: plan.port,
        ...(report && { report }),
      };
    });
    res.json(shards);
  });

  router.delete(routes.bdb, requirePermission(auth, 'delete_bdb'), async (req, res) => {
    const record = await current(store, req.params.uid as string, now);
    if (record.status === 'delete-pending') {
      throw new ConflictError('db_busy', `Database ${record.uid} is already being deleted`);
    }
    const nowMs = (now ?? Date.now)();
    const stamp = new Date(nowMs).toISOString();
    const actionUid = randomUUID();
    const { status_reason: _reason, ...rest } = record;
    await store.withdraw(
      { ...rest, status: 'delete-pending', action_uid: actionUid, last_changed_time: stamp },
      {
        action_uid: actionUid,
        name: 'SMDeleteBDB',
        object_name: `bdb:${record.uid}`,
        status: 'active',
        progress: 0,
        heartbeat: Math.floor(nowMs / 1000),
        creation_time: Math.floor(nowMs / 1000),
      },
    );
    req.log.info({ uid: record.uid }, 'database delete started');
    await recordEvent(events, req, res, 'cluster_bdb_deleted', {
      bdb_uid: String(record.uid),
      bdb_name: record.name,
      action_uid: actionUid,
    });
    res.json({ action_uid: actionUid });
  });

  return router;
}
