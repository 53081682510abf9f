// @ts-check
// The databases and their shards, for the databases panel.
import { ApiError, apiGet } from './api.js';
import { pathTo, routes } from './contract/routes.js';
import { asArray } from './format.js';

/** @typedef {import('./contract/bdb-object.js').BdbObject} BdbObject */
/** @typedef {import('./contract/bdb-object.js').ShardObject} ShardObject */
/** @typedef {import('./contract/bdb-object.js').StateMachineObject} StateMachineObject */
/** @typedef {{ bdb: BdbObject, shards: ShardObject[], upgrade?: StateMachineObject }} DatabaseRow */

/**
 * Every database with its shards. A coordinator run without databases has no bdb routes (404):
 * that is an empty list, not an outage. A database deleted between the two GETs keeps no shards.
 * @param {string} authorization
 * @returns {Promise<DatabaseRow[]>}
 */
export async function fetchDatabases(authorization) {
  /** @type {BdbObject[]} */
  const bdbs = asArray(await apiGet(routes.bdbs, authorization).catch(ifNotFound([])));
  return Promise.all(
    bdbs.map(async bdb => {
      const path = pathTo(routes.bdbShards, { uid: bdb.uid });
      const [shardsBody, upgrade] = await Promise.all([
        apiGet(path, authorization).catch(ifNotFound(/** @type {unknown} */ ([]))),
        fetchUpgrade(bdb, authorization),
      ]);
      /** @type {ShardObject[]} */
      const shards = asArray(shardsBody);
      return { bdb, shards, upgrade };
    }),
  );
}

/**
 * The SMUpgradeBDB state machine changing this database, while one does (`active-change-pending`).
 * @param {BdbObject} bdb
 * @param {string} authorization
 * @returns {Promise<StateMachineObject | undefined>}
 */
async function fetchUpgrade(bdb, authorization) {
  if (bdb.status !== 'active-change-pending' || !bdb.action_uid) return undefined;
  const path = pathTo(routes.v1Action, { uid: bdb.action_uid });
  const machine = /** @type {Partial<StateMachineObject> | undefined} */ (
    await apiGet(path, authorization).catch(ifNotFound(undefined))
  );
  return machine?.name === 'SMUpgradeBDB' ? /** @type {StateMachineObject} */ (machine) : undefined;
}

/**
 * @template T
 * @param {T} fallback
 * @returns {(err: unknown) => T}
 */
function ifNotFound(fallback) {
  return err => {
    if (err instanceof ApiError && err.status === 404) return fallback;
    throw err;
  };
}
