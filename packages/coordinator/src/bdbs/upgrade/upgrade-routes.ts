import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  jsonBody,
  NotAcceptableError,
  NotFoundError,
  requirePermission,
  routes,
  type Authenticator,
  type ModuleObject,
  type NodeInventoryStore,
  type UpgradeDryRunAnswer,
  type UpgradePreflight,
} from '@modfleet/common';
import { Router, type Request, type Response } from 'express';
import { toBdbObject, type BdbRecord, type BdbStore } from '../bdb-store.js';
import { masterOf } from './rolling-restart.js';
import type { PreflightRunner } from './preflight-runner.js';
import type { UpgradeQueue } from './upgrade-job.js';
import { parseLegacyUpgradeRequest, parseUpgradeRequest } from './upgrade-request.js';
import { upgradeTarget, type UpgradeAsk } from './upgrade-target.js';
import { recordEvent } from '../../audit/audit-event.js';
import type { EventLog } from '../../audit/event-log.js';

export interface UpgradeRoutesDeps {
  auth: Authenticator;
  store: BdbStore;
  modules: { list(): Promise<ModuleObject[]> };
  inventory: Pick<NodeInventoryStore, 'read'>;
  preflight: PreflightRunner;
  upgrades: UpgradeQueue;
  events: EventLog;
  now?: () => number;
}

/** The loader's words per node, for a refused upgrade. */
function preflightWords(preflight: UpgradePreflight): string {
  return preflight.shards
    .filter(s => !s.load.ok || !s.data.ok)
    .map(s => `node ${s.node_uid} (shard ${s.shard_uid}): ${s.load.error ?? s.data.error ?? 'failed'}`)
    .join('; ');
}

async function load(store: BdbStore, raw: string): Promise<BdbRecord> {
  const record = /^\d{1,9}$/.test(raw) ? await store.get(Number(raw)) : undefined;
  if (!record) throw new NotFoundError('db_not_exist', `Database UID ${raw} does not exist`);
  return record;
}

/** RS's `POST /v1/bdbs/<uid>/upgrade` (and the deprecated module route): checks, pre-flight, then the SMUpgradeBDB job. */
export function upgradeRoutes(deps: UpgradeRoutesDeps): Router {
  const { store, now = Date.now } = deps;
  const router = Router();

  async function upgrade(req: Request, res: Response, ask: UpgradeAsk) {
    const record = await load(store, req.params.uid as string);
    const hosts = new Map(
      await Promise.all(
        [...new Set(record.placement.map(s => s.node_uid))].map(
          async node => [node, new Set((await deps.inventory.read(node)).keys())] as const,
        ),
      ),
    );
    const target = upgradeTarget(record, ask, await deps.modules.list(), hosts);
    const dryRun = req.query.dry_run === 'true' || req.query.dry_run === '1';
    if (target.unchanged && !dryRun) {
      // RS answers a no-op upgrade with the database as it is; modfleet restarts nothing (force_restart included).
      return void res.json(toBdbObject(record));
    }
    const preflight = await deps.preflight.run(record, target.to, { rehearseRollback: true });
    if (dryRun) {
      const answer: UpgradeDryRunAnswer = { bdb_uid: record.uid, dry_run: true, modules: target.changes, preflight };
      return void res.json(answer);
    }
    if (!preflight.ok) {
      throw new NotAcceptableError(
        'preflight_failed',
        `The pre-flight refused the upgrade, nothing was restarted: ${preflightWords(preflight)}`,
      );
    }
    if (ask.modfleet_require_rollback && preflight.rollback !== 'possible') {
      throw new NotAcceptableError(
        'rollback_impossible',
        preflight.rollback === 'impossible'
          ? `The current versions cannot read what the new ones write: ${preflight.rollback_reason ?? ''}`
          : 'The rollback could not be rehearsed on the hosting nodes',
      );
    }
    const nowMs = now();
    const actionUid = randomUUID();
    const stamp = new Date(nowMs).toISOString();
    const changing: BdbRecord = {
      ...record,
      status: 'active-change-pending',
      action_uid: actionUid,
      last_changed_time: stamp,
    };
    // Queued before it begins: a coordinator dying between the two leaves a job that finds the
    // change begun (or, never begun, gives it up), never a database pending with no job.
    await deps.upgrades.enqueue({
      action_uid: actionUid,
      bdb_uid: record.uid,
      master_shard: masterOf(record).plan.shard_uid,
      from: target.from,
      to: target.to,
      changes: target.changes,
      preserve_roles: Boolean(ask.preserve_roles),
      rollback: preflight.rollback,
      ...(preflight.rollback_reason && { rollback_reason: preflight.rollback_reason }),
    });
    const begun = await store.beginChange(changing, {
      action_uid: actionUid,
      name: 'SMUpgradeBDB',
      object_name: `bdb:${record.uid}`,
      status: 'active',
      progress: 0,
      heartbeat: Math.floor(nowMs / 1000),
      creation_time: Math.floor(nowMs / 1000),
      state: 'preflight',
      states: [
        { state: 'init', at: Math.floor(nowMs / 1000) },
        { state: 'preflight', at: Math.floor(nowMs / 1000), detail: `rollback ${preflight.rollback}` },
      ],
      modules: target.changes,
      preflight,
      heading: { toward: 'to' },
    });
    if (!begun) {
      throw new ConflictError('db_busy', `Database ${record.uid} changed while the upgrade was checked; try again`);
    }
    req.log.info({ uid: record.uid, action_uid: actionUid, modules: target.changes }, 'database upgrade started');
    await recordEvent(deps.events, req, res, 'bdb_upgrade_started', {
      bdb_uid: String(record.uid),
      bdb_name: record.name,
      action_uid: actionUid,
    });
    const downtime = record.replication
      ? undefined
      : 'The database has no replication: it is down while its shard restarts and reloads its data';
    res.json({ ...toBdbObject(changing), action_uid: actionUid, ...(downtime && { description: downtime }) });
  }

  const canUpdate = requirePermission(deps.auth, 'update_bdb_with_action');
  router.post(routes.bdbUpgrade, canUpdate, ...jsonBody(), async (req, res) => {
    await upgrade(req, res, parseUpgradeRequest(req.body));
  });
  router.post(routes.moduleUpgradeBdb, canUpdate, ...jsonBody(), async (req, res) => {
    await upgrade(req, res, parseLegacyUpgradeRequest(req.body));
  });
  return router;
}
