// modfleet status page: plain browser JavaScript, no framework, no build step, no network beyond
// this coordinator. Every value from the API reaches the page through textContent or an attribute,
// never through HTML parsing, so a module called `<img onerror=…>` is shown as that text.

const POLL_MS = 1000;
const RETRY_MS = 3000;
const CLUSTER_REFRESH_MS = 15000;
const ACTIONS_SHOWN = 20;
const SESSION_KEY = 'modfleet.status.session';
const BAD_STATES = new Set(['missing', 'mismatch', 'failed']);

const $ = id => document.getElementById(id);

const ui = {
  loginView: $('login-view'),
  loginForm: $('login-form'),
  loginEmail: $('login-email'),
  loginPassword: $('login-password'),
  loginError: $('login-error'),
  loginSubmit: $('login-submit'),
  appView: $('app-view'),
  clusterName: $('cluster-name'),
  userEmail: $('user-email'),
  logout: $('logout'),
  live: $('live'),
  liveText: $('live-text'),
  banner: $('banner'),
  nodesBody: $('nodes-body'),
  nodesEmpty: $('nodes-empty'),
  nodesSummary: $('nodes-summary'),
  fleetTable: $('fleet-table'),
  fleetHead: $('fleet-head'),
  fleetBody: $('fleet-body'),
  fleetEmpty: $('fleet-empty'),
  fleetSummary: $('fleet-summary'),
  actionsList: $('actions-list'),
  actionsEmpty: $('actions-empty'),
  actionsSummary: $('actions-summary'),
};

/** The logged-in session and the polling loop's state. */
const poller = {
  session: undefined,
  timer: undefined,
  /** The generation whose round of GETs is running, if any. */
  inFlight: undefined,
  /** Bumped at login and logout: answers to an older generation are dropped. */
  generation: 0,
  failures: 0,
  lastSuccess: 0,
  clusterFetchedAt: 0,
  /** server clock minus browser clock, from the Date header, so "2 s ago" is right on a skewed laptop. */
  skewMs: 0,
};

// ---------------------------------------------------------------------------------------------
// API access

class AuthError extends Error {}

class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.description === 'string' ? body.description : `HTTP ${status}`);
    this.status = status;
    this.errorCode = body && typeof body.error_code === 'string' ? body.error_code : undefined;
  }
}

/** `Basic base64(utf8(email:password))`, as RS and the coordinator read it. */
function basicAuthorization(email, password) {
  const bytes = new TextEncoder().encode(`${email}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * GET a JSON resource of this coordinator. `credentials: 'omit'` keeps the browser out of the
 * Basic exchange: a 401 comes back to this script instead of opening the browser's own login
 * dialog, and no credentials the browser cached elsewhere are ever sent.
 */
async function apiGet(path, authorization) {
  const res = await fetch(path, {
    headers: { Authorization: authorization, Accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'error',
  });
  noteServerClock(res);
  if (res.status === 401) throw new AuthError('credentials refused');
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function noteServerClock(res) {
  const date = Date.parse(res.headers.get('Date') ?? '');
  if (Number.isNaN(date)) return;
  // The header has whole seconds: only correct skews it can actually measure.
  const skew = date + 500 - Date.now();
  poller.skewMs = Math.abs(skew) > 2000 ? skew : 0;
}

// ---------------------------------------------------------------------------------------------
// Session: sessionStorage only (gone when the tab closes), never localStorage or a cookie.

function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (saved && typeof saved.authorization === 'string' && typeof saved.email === 'string') return saved;
  } catch {
    // unreadable: start from the login form
  }
  return undefined;
}

function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// ---------------------------------------------------------------------------------------------
// Login and logout

function showLoginError(message, kind = 'error') {
  ui.loginError.textContent = message;
  ui.loginError.dataset.kind = kind;
  ui.loginError.hidden = !message;
}

function showLogin(message = '', kind = 'error') {
  stopPolling();
  poller.session = undefined;
  ui.appView.hidden = true;
  ui.loginView.hidden = false;
  ui.loginPassword.value = '';
  showLoginError(message, kind);
  document.title = 'modfleet status';
  (ui.loginEmail.value ? ui.loginPassword : ui.loginEmail).focus();
}

function logout(message = '', kind = 'error') {
  poller.generation += 1;
  clearSession();
  clearDashboard();
  showLogin(message, kind);
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const email = ui.loginEmail.value.trim();
  const password = ui.loginPassword.value;
  if (!email || !password) {
    showLoginError('Enter your email and password.');
    return;
  }
  if (email.includes(':')) {
    showLoginError('An email cannot contain ":".');
    return;
  }
  const authorization = basicAuthorization(email, password);
  ui.loginSubmit.disabled = true;
  ui.loginSubmit.textContent = 'Signing in…';
  showLoginError('');
  try {
    const cluster = await apiGet('v1/cluster', authorization);
    ui.loginPassword.value = '';
    startSession({ authorization, email }, cluster);
  } catch (err) {
    ui.loginPassword.value = '';
    ui.loginPassword.focus();
    showLoginError(loginFailureMessage(err));
  } finally {
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = 'Sign in';
  }
}

function loginFailureMessage(err) {
  if (err instanceof AuthError) return 'Wrong email or password.';
  if (err instanceof ApiError && err.status === 403) return 'This user’s role may not view the cluster.';
  if (err instanceof ApiError) return `The coordinator answered ${err.status}: ${err.message}`;
  return 'Cannot reach the coordinator. Check that it is running and try again.';
}

function startSession(session, cluster) {
  saveSession(session);
  poller.session = session;
  poller.generation += 1;
  poller.failures = 0;
  ui.userEmail.textContent = session.email;
  ui.userEmail.title = `Signed in as ${session.email}`;
  ui.loginView.hidden = true;
  ui.appView.hidden = false;
  if (cluster) showCluster(cluster);
  else poller.clusterFetchedAt = 0;
  setLive('connecting', 'connecting…');
  void tick();
}

function showCluster(cluster) {
  const name = typeof cluster.name === 'string' ? cluster.name : '';
  ui.clusterName.textContent = name;
  document.title = name ? `${name} · modfleet status` : 'modfleet status';
  poller.clusterFetchedAt = Date.now();
}

// ---------------------------------------------------------------------------------------------
// Polling: one round of GETs a second, never two at once, paused while the tab is hidden.

function stopPolling() {
  clearTimeout(poller.timer);
  poller.timer = undefined;
}

function schedule(delay) {
  stopPolling();
  if (!poller.session || document.hidden) return;
  poller.timer = setTimeout(() => void tick(), delay);
}

async function tick() {
  const session = poller.session;
  const generation = poller.generation;
  if (!session || poller.inFlight === generation) return;
  if (document.hidden) {
    setLive('paused', 'paused while hidden');
    return;
  }
  poller.inFlight = generation;
  try {
    const wantCluster = Date.now() - poller.clusterFetchedAt > CLUSTER_REFRESH_MS;
    const [nodes, fleet, actions, cluster] = await Promise.all([
      apiGet('v1/nodes', session.authorization),
      apiGet('v2/modules/user-defined/artifacts', session.authorization),
      apiGet('v2/actions?limit=20', session.authorization),
      wantCluster ? apiGet('v1/cluster', session.authorization) : undefined,
    ]);
    if (generation !== poller.generation) return;
    if (cluster) showCluster(cluster);
    render(asArray(nodes), asArray(fleet), asArray(actions));
    poller.failures = 0;
    poller.lastSuccess = Date.now();
    ui.appView.classList.remove('stale');
    setBanner('');
    setLive('live', `live · ${clock(poller.lastSuccess)}`);
  } catch (err) {
    if (generation !== poller.generation) return;
    if (err instanceof AuthError) {
      logout('Your credentials are no longer accepted (the user was changed or removed). Sign in again.');
      return;
    }
    poller.failures += 1;
    if (poller.lastSuccess) ui.appView.classList.add('stale');
    setLive('offline', 'offline');
    setBanner(pollFailureMessage(err));
  } finally {
    if (poller.inFlight === generation) poller.inFlight = undefined;
    if (generation === poller.generation) schedule(poller.failures > 0 ? RETRY_MS : POLL_MS);
  }
}

function pollFailureMessage(err) {
  const since = poller.lastSuccess ? ` Showing data from ${clock(poller.lastSuccess)}.` : '';
  if (err instanceof ApiError && err.status === 403) {
    return `This user’s role may not view everything on this page (${err.message}).`;
  }
  if (err instanceof ApiError) return `The coordinator answered ${err.status}: ${err.message}. Retrying…${since}`;
  return `Cannot reach the coordinator. Retrying…${since}`;
}

function onVisibilityChange() {
  if (!poller.session) return;
  if (document.hidden) {
    stopPolling();
    setLive('paused', 'paused while hidden');
  } else {
    void tick();
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering helpers: build with createElement, fill with textContent, update in place by key.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

function setAttr(node, name, value) {
  if (value === undefined || value === null || value === '') {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== String(value)) {
    node.setAttribute(name, String(value));
  }
}

function setClass(node, className) {
  if (node.className !== className) node.className = className;
}

/**
 * Makes `parent`'s children match `items` in order, reusing the element of each key so that
 * progress bars animate and a tooltip being read is not torn down every second.
 */
function syncChildren(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of parent.children) existing.set(child.dataset.key, child);
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    if (node === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(node, cursor);
  }
  for (const stale of existing.values()) stale.remove();
}

function asArray(value) {
  return Array.isArray(value) ? value : [];
}

function clamp(progress) {
  const n = Number(progress);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

function percent(progress) {
  const n = clamp(progress);
  return `${Number.isInteger(n) ? n : n.toFixed(1)}%`;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function ago(ms) {
  const seconds = Math.max(0, (Date.now() + poller.skewMs - ms) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

function bytes(size) {
  if (typeof size !== 'number') return '';
  if (size < 1024) return `${size} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function shortSha(sha) {
  return typeof sha === 'string' && sha ? sha.slice(0, 12) : '';
}

function setBanner(message) {
  setText(ui.banner, message);
  ui.banner.hidden = !message;
}

function setLive(state, text) {
  setAttr(ui.live, 'data-state', state);
  setText(ui.liveText, text);
}

function render(nodes, fleet, actions) {
  renderNodes(nodes);
  renderFleet(nodes, fleet);
  renderActions(actions);
}

function clearDashboard() {
  for (const node of [ui.nodesBody, ui.fleetHead, ui.fleetBody, ui.actionsList]) node.replaceChildren();
  for (const node of [ui.nodesSummary, ui.fleetSummary, ui.actionsSummary, ui.clusterName, ui.userEmail]) {
    node.textContent = '';
  }
  delete ui.fleetTable.dataset.columns;
  poller.lastSuccess = 0;
  poller.clusterFetchedAt = 0;
  ui.appView.classList.remove('stale');
  setBanner('');
}

// ---------------------------------------------------------------------------------------------
// Nodes panel

function renderNodes(nodes) {
  const active = nodes.filter(node => node.status === 'active').length;
  setText(ui.nodesSummary, nodes.length ? `${active} of ${nodes.length} active` : '');
  ui.nodesEmpty.hidden = nodes.length > 0;
  syncChildren(ui.nodesBody, nodes, node => node.uid, createNodeRow, updateNodeRow);
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

function updateNodeRow(row, node) {
  const [uid, addr, status, heartbeat] = row.children;
  const state = node.status === 'active' ? 'active' : 'down';
  setAttr(row, 'data-node', node.uid);
  setAttr(row, 'data-status', state);
  setText(uid, `node ${node.uid}`);
  setText(addr, node.addr ?? '');
  setAttr(addr, 'title', node.addr);
  const badge = status.firstElementChild;
  setClass(badge, `badge badge-${state}`);
  setText(badge, state);
  const last = node.last_heartbeat ? Date.parse(node.last_heartbeat) : NaN;
  setText(heartbeat, Number.isNaN(last) ? 'never' : ago(last));
  setAttr(heartbeat, 'title', node.last_heartbeat ? `last heartbeat ${node.last_heartbeat}` : 'no heartbeat yet');
}

// ---------------------------------------------------------------------------------------------
// Fleet matrix: artifacts × nodes

function renderFleet(nodes, fleet) {
  const status = new Map(nodes.map(node => [String(node.uid), node.status]));
  const uids = new Set(status.keys());
  for (const artifact of fleet) for (const uid of Object.keys(artifact.nodes ?? {})) uids.add(uid);
  const columns = [...uids].sort((a, b) => Number(a) - Number(b));

  const signature = columns.join(',');
  if (ui.fleetTable.dataset.columns !== signature) {
    ui.fleetTable.dataset.columns = signature;
    ui.fleetBody.replaceChildren();
    const head = [el('th', 'artifact-col', 'Artifact')];
    for (const uid of columns) {
      const th = el('th', 'node-col');
      th.scope = 'col';
      th.dataset.node = uid;
      th.append(el('span', 'dot'), el('span', '', `node ${uid}`));
      head.push(th);
    }
    head[0].scope = 'col';
    ui.fleetHead.replaceChildren(...head);
  }
  for (const th of ui.fleetHead.querySelectorAll('th[data-node]')) {
    const state = status.get(th.dataset.node) ?? 'removed';
    setClass(th.firstElementChild, `dot dot-${state}`);
    setAttr(th, 'title', `node ${th.dataset.node}: ${state}`);
  }

  const rows = fleet.map(artifact => ({ artifact, columns }));
  syncChildren(
    ui.fleetBody,
    rows,
    ({ artifact }) => `${artifact.in_fleet ? 'fleet' : 'local'}|${artifact.module_name}@${artifact.version}`,
    createFleetRow,
    updateFleetRow,
  );
  ui.fleetEmpty.hidden = fleet.length > 0;
  ui.fleetTable.hidden = fleet.length === 0;

  const drifting = fleet.filter(artifact => rowDrifts(artifact)).length;
  const localOnly = fleet.filter(artifact => !artifact.in_fleet).length;
  const inFleet = fleet.length - localOnly;
  const summary = [`${inFleet} artifact${inFleet === 1 ? '' : 's'}`];
  if (drifting) summary.push(`${drifting} drifting`);
  if (localOnly) summary.push(`${localOnly} local only`);
  setText(ui.fleetSummary, fleet.length ? summary.join(' · ') : '');
}

/** A fleet artifact some node lacks, holds other bytes of, or failed to install. */
function rowDrifts(artifact) {
  return Boolean(artifact.in_fleet) && Object.values(artifact.nodes ?? {}).some(cell => BAD_STATES.has(cell.state));
}

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
    cell.append(el('span', 'state'));
    row.append(cell);
  }
  return row;
}

function updateFleetRow(row, { artifact }) {
  const name = `${artifact.module_name}@${artifact.version}`;
  const cells = artifact.nodes ?? {};
  const drift = rowDrifts(artifact);
  setAttr(row, 'data-artifact', name);
  setAttr(row, 'data-in-fleet', String(Boolean(artifact.in_fleet)));
  setClass(row, `fleet-row${drift ? ' drift' : ''}${artifact.in_fleet ? '' : ' local'}`);

  const head = row.firstElementChild;
  const [title, meta] = head.children;
  const [nameEl, tags] = title.children;
  setText(nameEl, name);
  const tagList = [];
  if (!artifact.in_fleet) tagList.push(['local only', 'tag tag-local', 'on nodes, but never pushed through the fleet']);
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
    const view = cells[cell.dataset.node];
    const word = cell.firstElementChild;
    const state = view ? String(view.state) : 'absent';
    setAttr(cell, 'data-state', state);
    setClass(word, `state state-${/^[a-z_]+$/.test(state) ? state : 'unknown'}`);
    setText(word, view ? state : '—');
    setAttr(cell, 'title', view ? cellHint(cell.dataset.node, view, artifact) : `node ${cell.dataset.node}: not held`);
  }
}

function cellHint(node, view, artifact) {
  const lines = [`node ${node}: ${view.state}`];
  if (view.sha256) {
    const differs = artifact.sha256 && view.sha256 !== artifact.sha256;
    lines.push(`${differs ? 'holds other bytes: ' : 'sha256 '}${view.sha256}`);
  }
  if (view.action_uid) lines.push(`action ${view.action_uid}`);
  if (view.error) lines.push(`error: ${view.error}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Recent actions with per-node progress

function renderActions(actions) {
  const recent = [...actions]
    .sort((a, b) => (Number(b.creation_time) || 0) - (Number(a.creation_time) || 0))
    .slice(0, ACTIONS_SHOWN);
  ui.actionsEmpty.hidden = recent.length > 0;
  const running = actions.filter(action => action.status === 'running' || action.status === 'queued').length;
  const summary = running ? `${running} in progress` : '';
  setText(ui.actionsSummary, actions.length > ACTIONS_SHOWN ? `${summary} · newest ${ACTIONS_SHOWN}` : summary);
  syncChildren(ui.actionsList, recent, action => action.action_uid, createActionCard, updateActionCard);
}

function createBar() {
  const bar = el('div', 'bar');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.append(el('div', 'bar-fill'));
  return bar;
}

function updateBar(bar, progress, status, label) {
  const value = clamp(progress);
  setAttr(bar, 'aria-valuenow', String(value));
  setAttr(bar, 'aria-label', label);
  setAttr(bar, 'data-status', status);
  const fill = bar.firstElementChild;
  const width = `${value}%`;
  if (fill.style.width !== width) fill.style.width = width;
}

function createActionCard() {
  const card = el('li', 'action');
  const head = el('div', 'action-head');
  head.append(el('span', 'action-name'), el('span', 'badge'), el('time', 'muted action-time'));
  const overall = el('div', 'overall');
  overall.append(createBar(), el('span', 'pct'));
  card.append(head, el('div', 'action-object'), el('p', 'action-desc muted'), overall, el('ul', 'ops'));
  return card;
}

function updateActionCard(card, action) {
  const [head, object, desc, overall, ops] = card.children;
  const [name, badge, time] = head.children;
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

  const [bar, pct] = overall.children;
  updateBar(bar, action.progress, status, `${action.name ?? 'action'} overall progress`);
  setText(pct, percent(action.progress));

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

function updateOpRow(row, { node, op }) {
  const [label, bar, status, pct, error] = row.children;
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

// ---------------------------------------------------------------------------------------------
// Start

ui.loginForm.addEventListener('submit', event => void onLoginSubmit(event));
ui.logout.addEventListener('click', () => logout('You have logged out.', 'info'));
document.addEventListener('visibilitychange', onVisibilityChange);
// The form only ever submits through this script (never natively, which would put the password in a URL).
ui.loginSubmit.disabled = false;

const saved = loadSession();
if (saved) {
  ui.loginEmail.value = saved.email;
  startSession(saved, undefined);
} else {
  showLogin();
}
