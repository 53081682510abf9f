// @ts-check
// Nodes panel: one row per registered agent.
import { byId, child, el, setAttr, setClass, setText, syncChildren } from './dom.js';
import { ago } from './format.js';

/** @typedef {import('./contract/views.js').NodeView} NodeView */

const body = byId('nodes-body', HTMLTableSectionElement);
const empty = byId('nodes-empty', HTMLElement);
const summary = byId('nodes-summary', HTMLElement);

/** @param {NodeView[]} nodes */
export function renderNodes(nodes) {
  const active = nodes.filter(node => node.status === 'active').length;
  setText(summary, nodes.length ? `${active} of ${nodes.length} active` : '');
  empty.hidden = nodes.length > 0;
  syncChildren(body, nodes, node => node.uid, createNodeRow, updateNodeRow);
}

export function clearNodes() {
  body.replaceChildren();
  summary.textContent = '';
}

function createNodeRow() {
  const row = el('tr', 'node-row');
  const uid = el('td', 'node-uid');
  const addr = el('td', 'mono addr');
  const status = el('td');
  status.append(el('span', 'badge'));
  const heartbeat = el('td', 'muted heartbeat');
  row.append(uid, addr, status, heartbeat);
  return row;
}

/**
 * @param {HTMLElement} row
 * @param {NodeView} node
 */
function updateNodeRow(row, node) {
  const uid = child(row, 0);
  const addr = child(row, 1);
  const status = child(row, 2);
  const heartbeat = child(row, 3);
  const state = node.status === 'active' ? 'active' : 'down';
  setAttr(row, 'data-node', node.uid);
  setAttr(row, 'data-status', state);
  setText(uid, `node ${node.uid}`);
  setText(addr, node.addr ?? '');
  setAttr(addr, 'title', node.addr);
  const badge = child(status, 0);
  setClass(badge, `badge badge-${state}`);
  setText(badge, state);
  const last = node.last_heartbeat ? Date.parse(node.last_heartbeat) : NaN;
  setText(heartbeat, Number.isNaN(last) ? 'never' : ago(last));
  setAttr(heartbeat, 'title', node.last_heartbeat ? `last heartbeat ${node.last_heartbeat}` : 'no heartbeat yet');
}
