import {
  NotFoundError,
  requirePermission,
  routes,
  toActionObject,
  type ActionObject,
  type ActionStore,
  type Authenticator,
  type V1ActionList,
  type V1TaskObject,
} from '@modfleet/common';
import { Router } from 'express';
import { settledBdbs } from './bdb-routes.js';
import type { BdbStore } from './bdb-store.js';

const V1_LIST_LIMIT = 200;

/** A v2 action in the v1 task shape (redisctl's fixture: creation_time a string of Unix seconds). */
const toTask = (action: ActionObject): V1TaskObject => ({
  action_uid: action.action_uid,
  task_id: action.action_uid,
  name: action.name,
  status: action.status,
  progress: action.progress,
  creation_time: String(action.creation_time),
});

/** RS's v1 actions: `{"actions": [tasks], "state-machines": [...]}`; the fleet's actions are the tasks. */
export function v1ActionRoutes(deps: {
  auth: Authenticator;
  actions: ActionStore;
  bdbs: BdbStore;
  now?: () => number;
}): Router {
  const router = Router();
  const canView = requirePermission(deps.auth, 'view_status_of_cluster_action');

  router.get(routes.v1Actions, canView, async (_req, res) => {
    await settledBdbs(deps.bdbs, deps.now);
    const [tasks, machines] = await Promise.all([deps.actions.list(V1_LIST_LIMIT), deps.bdbs.stateMachines()]);
    const body: V1ActionList = {
      actions: tasks.map(({ meta, ops }) => toTask(toActionObject(meta, ops))),
      'state-machines': machines,
    };
    res.json(body);
  });

  router.get(routes.v1Action, canView, async (req, res) => {
    const uid = req.params.uid as string;
    await settledBdbs(deps.bdbs, deps.now);
    const machine = await deps.bdbs.stateMachine(uid);
    if (machine) return void res.json(machine);
    const task = await deps.actions.get(uid);
    if (task) return void res.json(toTask(toActionObject(task.meta, task.ops)));
    throw new NotFoundError('action_not_found', `Action ${uid} does not exist`);
  });

  return router;
}
