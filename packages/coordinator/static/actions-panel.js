// @ts-check
// Recent actions with per-node progress.
import { byId, child, el, setAttr, setClass, setText, syncChildren } from './dom.js';
import { ago, clamp, percent } from './format.js';

/** @typedef {import('./contract/action-object.js').ActionObject} ActionObject */
/** @typedef {import('./contract/action-object.js').PendingOp} PendingOp */
/** @typedef {{ node: string, op: PendingOp }} NodeOpRow */

/** The page asks for this many (`?limit=`) and shows them newest first. */
export const ACTIONS_SHOWN = 20;

const list = byId('actions-list', HTMLOListElement);
const empty = byId('actions-empty', HTMLElement);
const summary = byId('actions-summary', HTMLElement);

/** @typedef {import('./contract/log-event.js').LogEvent} LogEvent */

/**
 * @param {ActionObject[]} actions
 * @param {Map<string, LogEvent>} [startedBy] the event log's entry of each action, by action_uid
 */
export function renderActions(actions, startedBy = new Map()) {
  const recent = [...actions]
    .sort((a, b) => (Number(b.creation_time) || 0) - (Number(a.creation_time) || 0))
    .slice(0, ACTIONS_SHOWN);
  empty.hidden = recent.length > 0;
  const running = actions.filter(action => action.status === 'running' || action.status === 'queued').length;
  const text = running ? `${running} in progress` : '';
  setText(summary, actions.length > ACTIONS_SHOWN ? `${text} · newest ${ACTIONS_SHOWN}` : text);
  syncChildren(
    list,
    recent,
    action => action.action_uid,
    createActionCard,
    (card, action) => {
      updateActionCard(card, action);
      updateStartedBy(child(card, 2), startedBy.get(action.action_uid));
    },
  );
}

/**
 * Who started the action and from where, from the cluster event log (absent for actions the
 * cluster started itself, or for a role that may not read the log).
 * @param {HTMLElement} line
 * @param {LogEvent | undefined} event
 */
function updateStartedBy(line, event) {
  line.hidden = !event;
  setText(line, event ? `by ${event.user} from ${event.client_addr}` : '');
}

export function clearActions() {
  list.replaceChildren();
  summary.textContent = '';
}

function createBar() {
  const bar = el('div', 'bar');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.append(el('div', 'bar-fill'));
  return bar;
}

/**
 * @param {HTMLElement} bar
 * @param {unknown} progress
 * @param {string} status
 * @param {string} label
 */
function updateBar(bar, progress, status, label) {
  const value = clamp(progress);
  setAttr(bar, 'aria-valuenow', String(value));
  setAttr(bar, 'aria-label', label);
  setAttr(bar, 'data-status', status);
  const fill = child(bar, 0);
  const width = `${value}%`;
  if (fill.style.width !== width) fill.style.width = width;
}

function createActionCard() {
  const card = el('li', 'action');
  const head = el('div', 'action-head');
  head.append(el('span', 'action-name'), el('span', 'badge'), el('time', 'muted action-time'));
  const overall = el('div', 'overall');
  overall.append(createBar(), el('span', 'pct'));
  card.append(
    head,
    el('div', 'action-object'),
    el('div', 'action-user'),
    el('p', 'action-desc muted'),
    overall,
    el('ul', 'ops'),
  );
  return card;
}

/**
 * @param {HTMLElement} card
 * @param {ActionObject} action
 */
function updateActionCard(card, action) {
  const head = child(card, 0);
  const object = child(card, 1);
  const desc = child(card, 3);
  const overall = child(card, 4);
  const ops = child(card, 5);
  const name = child(head, 0);
  const badge = child(head, 1);
  const time = child(head, 2);
  /** @type {Partial<ActionObject['additional_info']>} */
  const info = action.additional_info ?? {};
  const status = String(action.status);
  setAttr(card, 'data-action-uid', action.action_uid);
  setAttr(card, 'data-status', status);
  setText(name, action.name ?? 'action');
  setText(object, [info.object_type, info.object_uid].filter(Boolean).join(' · '));
  setAttr(object, 'title', `action ${action.action_uid}`);
  setClass(badge, `badge badge-${status}`);
  setText(badge, status);
  const created = Number(action.creation_time) * 1000;
  if (Number.isFinite(created) && created > 0) {
    setText(time, ago(created));
    setAttr(time, 'datetime', new Date(created).toISOString());
    setAttr(time, 'title', `${new Date(created).toLocaleString()} · action ${action.action_uid}`);
  }
  setText(desc, info.description ?? '');
  desc.hidden = !info.description;

  updateBar(child(overall, 0), action.progress, status, `${action.name ?? 'action'} overall progress`);
  setText(child(overall, 1), percent(action.progress));

  /** @type {NodeOpRow[]} */
  const perNode = Object.entries(info.pending_ops ?? {})
    .map(([node, op]) => ({ node, op }))
    .sort((a, b) => Number(a.node) - Number(b.node));
  syncChildren(ops, perNode, ({ node }) => node, createOpRow, updateOpRow);
  setAttr(ops, 'data-empty', perNode.length ? undefined : 'true');
}

function createOpRow() {
  const row = el('li', 'op');
  row.append(el('span', 'op-node'), createBar(), el('span', 'op-status'), el('span', 'pct'), el('p', 'op-error'));
  return row;
}

/**
 * @param {HTMLElement} row
 * @param {NodeOpRow} nodeOp
 */
function updateOpRow(row, { node, op }) {
  const label = child(row, 0);
  const bar = child(row, 1);
  const status = child(row, 2);
  const pct = child(row, 3);
  const error = child(row, 4);
  const state = String(op.status);
  setAttr(row, 'data-node', node);
  setAttr(row, 'data-status', state);
  setText(label, `node ${node}`);
  updateBar(bar, op.progress, state, `node ${node} progress`);
  const attempts = Number(op.attempts) || 0;
  setText(status, attempts > 1 && state !== 'completed' ? `${state} · attempt ${attempts}` : state);
  setClass(status, `op-status op-status-${/^[a-z_]+$/.test(state) ? state : 'unknown'}`);
  setText(pct, percent(op.progress));
  const hint = [`node ${node}: ${state}`, `attempts: ${attempts}`];
  if (op.error) hint.push(`error: ${op.error}`);
  setAttr(row, 'title', hint.join('\n'));
  setText(error, op.error ?? '');
  error.hidden = !op.error;
}
