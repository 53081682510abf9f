// @ts-check
// Modules panel: rladmin's `status modules` tables, from the same function the CLI uses.
import { moduleStatusTables } from './contract/module-status.js';
import { byId, child, el, setAttr, setClass, setText, syncChildren } from './dom.js';

/** @typedef {import('./contract/module-status.js').InstalledModule} InstalledModule */
/** @typedef {import('./contract/module-status.js').ClusterModuleRow} ClusterModuleRow */
/** @typedef {import('./contract/module-status.js').DatabaseModuleRow} DatabaseModuleRow */
/** @typedef {import('./contract/bdb-object.js').BdbObject} BdbObject */

const clusterBody = byId('cluster-modules-body', HTMLTableSectionElement);
const databaseBody = byId('database-modules-body', HTMLTableSectionElement);
const databaseTable = byId('database-modules', HTMLTableElement);
const tables = byId('modules-panel', HTMLElement).querySelector('.modules-tables');
const empty = byId('modules-empty', HTMLElement);
const summary = byId('modules-summary', HTMLElement);

/**
 * @param {InstalledModule[]} modules GET /v1/modules
 * @param {BdbObject[]} bdbs GET /v1/bdbs
 */
export function renderModules(modules, bdbs) {
  const usable = bdbs.filter(bdb => Array.isArray(bdb.module_list));
  const { cluster_modules, database_modules } = moduleStatusTables(modules, usable);
  syncChildren(clusterBody, cluster_modules, row => row.id, createClusterRow, updateClusterRow);
  syncChildren(databaseBody, database_modules, row => `${row.db}|${row.module_name}`, createDbRow, updateDbRow);
  databaseTable.hidden = database_modules.length === 0;
  empty.hidden = cluster_modules.length > 0;
  if (tables instanceof HTMLElement) tables.hidden = cluster_modules.length === 0;
  const old = database_modules.filter(row => row.status !== 'OK').length;
  const parts = cluster_modules.length
    ? [`${cluster_modules.length} module${cluster_modules.length === 1 ? '' : 's'}`]
    : [];
  if (old) parts.push(`${old} database module${old === 1 ? '' : 's'} on an old version`);
  setText(summary, parts.join(' · '));
}

export function clearModules() {
  clusterBody.replaceChildren();
  databaseBody.replaceChildren();
  summary.textContent = '';
}

/** @param {number} count */
function createRow(count) {
  const row = el('tr');
  for (let i = 0; i < count; i += 1) row.append(el('td'));
  return row;
}

const createClusterRow = () => createRow(4);
const createDbRow = () => createRow(4);

/**
 * @param {HTMLElement} row
 * @param {ClusterModuleRow} module
 */
function updateClusterRow(row, module) {
  setAttr(row, 'data-module', module.module_name);
  setText(child(row, 0), module.module);
  setAttr(child(row, 0), 'title', module.module_name);
  setText(child(row, 1), module.version);
  const redis = module.compatible_redis_version
    ? `${module.compatible_redis_version}`
    : module.min_redis_version
      ? `≥ ${module.min_redis_version}`
      : 'any';
  setText(child(row, 2), redis);
  setText(child(row, 3), module.id);
  setClass(child(row, 3), 'mono muted col-id');
}

/**
 * @param {HTMLElement} row
 * @param {DatabaseModuleRow} entry
 */
function updateDbRow(row, entry) {
  setAttr(row, 'data-db', entry.db);
  setAttr(row, 'data-module', entry.module_name);
  setAttr(row, 'data-status', entry.status);
  setText(child(row, 0), `${entry.db} ${entry.name}`);
  setText(child(row, 1), entry.module);
  setAttr(child(row, 1), 'title', entry.args ? `args: ${entry.args}` : 'no args');
  setText(child(row, 2), entry.version);
  const status = child(row, 3);
  if (!status.firstElementChild) status.append(el('span'));
  const word = child(status, 0);
  setClass(word, `badge module-status ${entry.status === 'OK' ? 'badge-active' : 'module-status-old'}`);
  setText(word, entry.status);
}
