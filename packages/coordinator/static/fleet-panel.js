// @ts-check
// Fleet matrix: artifacts × nodes, drift highlighted.
import { routes } from './contract/routes.js';
import { byId, child, el, setAttr, setClass, setText, syncChildren } from './dom.js';
import { bytes, shortSha } from './format.js';

/** @typedef {import('./contract/views.js').NodeView} NodeView */
/** @typedef {import('./contract/views.js').FleetArtifactView} FleetArtifactView */
/** @typedef {import('./contract/views.js').NodeArtifactView} NodeArtifactView */
/** @typedef {{ artifact: FleetArtifactView, columns: string[] }} FleetRow */

const BAD_STATES = new Set(['missing', 'mismatch', 'failed']);

const table = byId('fleet-table', HTMLTableElement);
const head = byId('fleet-head', HTMLTableRowElement);
const body = byId('fleet-body', HTMLTableSectionElement);
const empty = byId('fleet-empty', HTMLElement);
const summary = byId('fleet-summary', HTMLElement);
byId('fleet-push-route', HTMLElement).textContent = `POST ${routes.fleetArtifacts}`;

/**
 * @param {NodeView[]} nodes
 * @param {FleetArtifactView[]} fleet
 */
export function renderFleet(nodes, fleet) {
  const status = new Map(nodes.map(node => [String(node.uid), node.status]));
  const uids = new Set(status.keys());
  for (const artifact of fleet) for (const uid of Object.keys(artifact.nodes ?? {})) uids.add(uid);
  const columns = [...uids].sort((a, b) => Number(a) - Number(b));

  const signature = columns.join(',');
  if (table.dataset.columns !== signature) {
    table.dataset.columns = signature;
    body.replaceChildren();
    const artifactHead = el('th', 'artifact-col', 'Artifact');
    artifactHead.scope = 'col';
    const cells = [artifactHead];
    for (const uid of columns) {
      const th = el('th', 'node-col');
      th.scope = 'col';
      th.dataset.node = uid;
      th.append(el('span', 'dot'), el('span', '', `node ${uid}`));
      cells.push(th);
    }
    head.replaceChildren(...cells);
  }
  for (const th of head.querySelectorAll('th[data-node]')) {
    const node = /** @type {HTMLElement} */ (th).dataset.node ?? '';
    const state = status.get(node) ?? 'removed';
    setClass(child(th, 0), `dot dot-${state}`);
    setAttr(th, 'title', `node ${node}: ${state}`);
  }

  /** @type {FleetRow[]} */
  const rows = fleet.map(artifact => ({ artifact, columns }));
  syncChildren(
    body,
    rows,
    ({ artifact }) => `${artifact.in_fleet ? 'fleet' : 'local'}|${artifact.module_name}@${artifact.version}`,
    createFleetRow,
    updateFleetRow,
  );
  empty.hidden = fleet.length > 0;
  table.hidden = fleet.length === 0;

  const drifting = fleet.filter(artifact => rowDrifts(artifact)).length;
  const localOnly = fleet.filter(artifact => !artifact.in_fleet).length;
  const inFleet = fleet.length - localOnly;
  const parts = [`${inFleet} artifact${inFleet === 1 ? '' : 's'}`];
  if (drifting) parts.push(`${drifting} drifting`);
  if (localOnly) parts.push(`${localOnly} extra`);
  setText(summary, fleet.length ? parts.join(' · ') : '');
}

export function clearFleet() {
  head.replaceChildren();
  body.replaceChildren();
  summary.textContent = '';
  delete table.dataset.columns;
}

/**
 * A fleet artifact some node lacks, holds other bytes of, or failed to install.
 * @param {FleetArtifactView} artifact
 */
function rowDrifts(artifact) {
  return Boolean(artifact.in_fleet) && Object.values(artifact.nodes ?? {}).some(cell => BAD_STATES.has(cell.state));
}

/** @param {FleetRow} row */
function createFleetRow({ columns }) {
  const row = el('tr', 'fleet-row');
  const head = el('th', 'artifact');
  head.scope = 'row';
  const title = el('div', 'artifact-title');
  title.append(el('span', 'artifact-name'), el('span', 'tags'));
  head.append(title, el('div', 'artifact-meta mono'));
  row.append(head);
  for (const uid of columns) {
    const cell = el('td', 'cell');
    cell.dataset.node = uid;
    // The node's name inside the cell: shown where the narrow layout stacks cells without a header row.
    const details = el('details', 'cell-details');
    details.append(el('summary', 'load-check'), el('p', 'cell-reason'));
    cell.append(el('span', 'cell-node', `node ${uid}`), el('span', 'state'), details);
    row.append(cell);
  }
  return row;
}

/**
 * @param {HTMLElement} row
 * @param {FleetRow} fleetRow
 */
function updateFleetRow(row, { artifact }) {
  const name = `${artifact.module_name}@${artifact.version}`;
  const cells = artifact.nodes ?? {};
  const drift = rowDrifts(artifact);
  setAttr(row, 'data-artifact', name);
  setAttr(row, 'data-in-fleet', String(Boolean(artifact.in_fleet)));
  setClass(row, `fleet-row${drift ? ' drift' : ''}${artifact.in_fleet ? '' : ' local'}`);

  const head = child(row, 0);
  const title = child(head, 0);
  const meta = child(head, 1);
  setText(child(title, 0), name);
  updateTags(child(title, 1), artifact, drift);

  /** @type {string | null | undefined} */
  let sha = artifact.sha256;
  if (!sha) {
    const held = new Set(
      Object.values(cells)
        .map(cell => cell.sha256)
        .filter(Boolean),
    );
    sha = held.size === 1 ? [...held][0] : undefined;
  }
  const metaParts = [sha ? `sha256 ${shortSha(sha)}` : 'sha256 differs per node'];
  if (typeof artifact.size === 'number') metaParts.push(bytes(artifact.size));
  setText(meta, metaParts.join(' · '));
  setAttr(meta, 'title', sha ? `sha256 ${sha}` : 'the nodes hold different bytes');

  for (const cell of row.querySelectorAll('td[data-node]')) {
    const node = /** @type {HTMLElement} */ (cell).dataset.node ?? '';
    const view = cells[node];
    const word = child(cell, 1);
    const state = view ? shownState(view, artifact) : 'absent';
    setAttr(cell, 'data-state', state);
    setClass(word, `state state-${/^[a-z_]+$/.test(state) ? state : 'unknown'}`);
    setText(word, view ? state : '—');
    setAttr(cell, 'title', view ? cellHint(node, view, artifact) : `node ${node}: not held`);
    updateCellDetails(child(cell, 2), view);
  }
}

/**
 * The state word of a cell. An artifact outside the fleet is `extra` on every node holding it, the
 * name `modfleet verify` and `modfleet artifacts` give it too.
 * @param {NodeArtifactView} view
 * @param {FleetArtifactView} artifact
 */
function shownState(view, artifact) {
  return !artifact.in_fleet && view.state === 'installed' ? 'extra' : String(view.state);
}

/**
 * The load check and the error of a cell, as a disclosure a keyboard reaches (Tab, Enter): the
 * summary says `load failed`, the body the loader's own words. It keeps its open state across polls.
 * @param {HTMLElement} details
 * @param {NodeArtifactView | undefined} view
 */
function updateCellDetails(details, view) {
  const check = view?.load_check;
  const status = check?.status;
  const lines = [];
  if (check?.reason) lines.push(check.reason);
  if (view?.error) lines.push(`error: ${view.error}`);
  const summary = child(details, 0);
  setClass(summary, `load-check load-${status && /^[a-z]+$/.test(status) ? status : 'none'}`);
  setText(summary, status ? `load ${status}` : view?.error ? 'error' : '');
  setText(child(details, 1), lines.join('\n'));
  details.hidden = !status && !view?.error;
  setAttr(details, 'data-expandable', lines.length ? 'true' : undefined);
}

/**
 * @param {HTMLElement} tags
 * @param {FleetArtifactView} artifact
 * @param {boolean} drift
 */
function updateTags(tags, artifact, drift) {
  /** @type {[string, string, string][]} */
  const tagList = [];
  if (!artifact.in_fleet) tagList.push(['extra', 'tag tag-local', 'on nodes, but never pushed through the fleet']);
  else if (Array.isArray(artifact.target_nodes)) {
    tagList.push([`nodes ${artifact.target_nodes.join(', ')}`, 'tag', 'pushed to these nodes only']);
  }
  if (drift) tagList.push(['drift', 'tag tag-drift', 'a node lacks or differs from the fleet']);
  const tagSignature = tagList.map(([text]) => text).join('|');
  if (tags.dataset.signature !== tagSignature) {
    tags.dataset.signature = tagSignature;
    tags.replaceChildren(
      ...tagList.map(([text, className, hint]) => {
        const tag = el('span', className, text);
        tag.title = hint;
        return tag;
      }),
    );
  }
}

/**
 * @param {string} node
 * @param {NodeArtifactView} view
 * @param {FleetArtifactView} artifact
 */
function cellHint(node, view, artifact) {
  const lines = [`node ${node}: ${view.state}`];
  if (view.sha256) {
    const differs = artifact.sha256 && view.sha256 !== artifact.sha256;
    lines.push(`${differs ? 'holds other bytes: ' : 'sha256 '}${view.sha256}`);
  }
  if (view.action_uid) lines.push(`action ${view.action_uid}`);
  if (view.error) lines.push(`error: ${view.error}`);
  if (view.load_check) lines.push(`load check ${view.load_check.status}: ${view.load_check.reason}`);
  return lines.join('\n');
}
