// @ts-check
// The databases and their shards, for the databases panel.
import { ApiError, apiGet } from './api.js';
import { pathTo, routes } from './contract/routes.js';
import { asArray } from './format.js';

/** @typedef {import('./contract/bdb-object.js').BdbObject} BdbObject */
/** @typedef {import('./contract/bdb-object.js').ShardObject} ShardObject */
/** @typedef {{ bdb: BdbObject, shards: ShardObject[] }} DatabaseRow */

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
      /** @type {ShardObject[]} */
      const shards = asArray(await apiGet(path, authorization).catch(ifNotFound([])));
      return { bdb, shards };
    }),
  );
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
