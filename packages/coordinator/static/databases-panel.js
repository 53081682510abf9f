// @ts-check
// Databases panel: one card per bdb with its endpoint, modules and shards.
import { byId, child, el, setAttr, setClass, setText, syncChildren } from './dom.js';

/** @typedef {import('./contract/bdb-object.js').BdbModuleEntry} BdbModuleEntry */
/** @typedef {import('./contract/bdb-object.js').ShardObject} ShardObject */
/** @typedef {import('./databases-fetch.js').DatabaseRow} DatabaseRow */

const list = byId('databases-list', HTMLUListElement);
const empty = byId('databases-empty', HTMLElement);
const summary = byId('databases-summary', HTMLElement);

/** The badge colour of each bdb status (style.css has badge-active, -running, -failed, -queued). */
const STATUS_BADGE = /** @type {Record<string, string>} */ ({
  active: 'active',
  pending: 'running',
  'creation-failed': 'failed',
  'delete-pending': 'queued',
  'active-change-pending': 'running',
});

/** @param {DatabaseRow[]} databases */
export function renderDatabases(databases) {
  const active = databases.filter(({ bdb }) => bdb.status === 'active').length;
  setText(summary, databases.length ? `${active} of ${databases.length} active` : '');
  empty.hidden = databases.length > 0;
  syncChildren(list, databases, ({ bdb }) => bdb.uid, createCard, updateCard);
}

export function clearDatabases() {
  list.replaceChildren();
  summary.textContent = '';
}

function createCard() {
  const card = el('li', 'db');
  const head = el('div', 'db-head');
  head.append(el('span', 'db-name'), el('span', 'badge'));
  const endpoint = el('div', 'db-endpoint mono');
  const reason = el('p', 'db-reason');
  const modules = el('ul', 'db-modules');
  setAttr(modules, 'aria-label', 'Modules');
  const shards = el('ul', 'db-shards');
  setAttr(shards, 'aria-label', 'Shards');
  const upgrade = el('div', 'db-upgrade');
  upgrade.setAttribute('role', 'status');
  upgrade.append(el('span', 'db-upgrade-state'), el('ul', 'db-upgrade-moves'));
  card.append(head, endpoint, reason, modules, shards, upgrade);
  return card;
}

/**
 * @param {HTMLElement} card
 * @param {DatabaseRow} row
 */
function updateCard(card, { bdb, shards, upgrade }) {
  const head = child(card, 0);
  const reason = child(card, 2);
  setAttr(card, 'data-uid', bdb.uid);
  setAttr(card, 'data-status', bdb.status);
  setText(child(head, 0), `db ${bdb.uid} · ${bdb.name}`);
  const badge = child(head, 1);
  setClass(badge, `badge badge-${STATUS_BADGE[bdb.status] ?? 'queued'}`);
  setText(badge, bdb.status);
  setText(child(card, 1), endpointText(bdb.endpoints));
  reason.hidden = !bdb.status_reason;
  setText(reason, bdb.status_reason ?? '');
  const modules = Array.isArray(bdb.module_list) ? bdb.module_list : [];
  syncChildren(child(card, 3), modules, entry => entry.module_name, createModule, updateModule);
  syncChildren(child(card, 4), shards, shard => shard.uid, createShard, updateShard);
  updateUpgrade(child(card, 5), upgrade);
}

/**
 * An upgrade in progress: the state machine's current state (rladmin's names) and each module's move.
 * @param {HTMLElement} box
 * @param {import('./contract/bdb-object.js').StateMachineObject | undefined} upgrade
 */
function updateUpgrade(box, upgrade) {
  box.hidden = !upgrade;
  if (!upgrade) return;
  setAttr(box, 'data-action-uid', upgrade.action_uid);
  setAttr(box, 'data-state', upgrade.state);
  const passed = Array.isArray(upgrade.states) ? upgrade.states.length : 0;
  const step = passed ? ` (step ${passed})` : '';
  setText(child(box, 0), `upgrading modules: ${upgrade.state ?? 'starting'}${step}`);
  setAttr(box, 'title', `SMUpgradeBDB ${upgrade.action_uid}`);
  const moves = Array.isArray(upgrade.modules) ? upgrade.modules : [];
  syncChildren(
    child(box, 1),
    moves,
    move => move.module_name,
    () => el('li', 'db-upgrade-move'),
    updateMove,
  );
}

/**
 * @param {HTMLElement} item
 * @param {import('./contract/bdb-upgrade.js').UpgradeModuleChange} move
 */
function updateMove(item, move) {
  setAttr(item, 'data-module', move.module_name);
  setText(item, `${move.module_name} ${move.from.semantic_version} → ${move.to.semantic_version}`);
}

/** @param {import('./contract/bdb-object.js').BdbEndpoint[] | undefined} endpoints */
function endpointText(endpoints) {
  const first = Array.isArray(endpoints) ? endpoints[0] : undefined;
  const addr = first && Array.isArray(first.addr) ? first.addr[0] : undefined;
  return addr && first ? `${addr}:${first.port}` : 'no endpoint yet';
}

function createModule() {
  const item = el('li', 'db-module');
  item.append(el('span', 'mono db-module-name'), el('span', 'mono muted db-module-args'));
  return item;
}

/**
 * @param {HTMLElement} item
 * @param {BdbModuleEntry} entry
 */
function updateModule(item, entry) {
  setText(child(item, 0), `${entry.module_name}@${entry.semantic_version}`);
  const args = child(item, 1);
  args.hidden = !entry.module_args;
  setText(args, entry.module_args ?? '');
}

function createShard() {
  const item = el('li', 'db-shard');
  item.append(el('span', 'db-shard-node'), el('span', 'db-shard-role'), el('span', 'badge'));
  return item;
}

/**
 * @param {HTMLElement} item
 * @param {ShardObject} shard
 */
function updateShard(item, shard) {
  const state = shard.status === 'active' ? 'active' : 'down';
  setAttr(item, 'data-node', shard.node_uid);
  setAttr(item, 'data-role', shard.role);
  setAttr(item, 'data-status', shard.status);
  setText(child(item, 0), `node ${shard.node_uid}`);
  setText(child(item, 1), shard.role);
  setAttr(item, 'title', `shard ${shard.uid}, port ${shard.port}`);
  const badge = child(item, 2);
  setClass(badge, `badge badge-${state}`);
  setText(badge, shard.status);
  setAttr(badge, 'title', shard.detailed_status);
}
