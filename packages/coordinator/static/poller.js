// @ts-check
// Polling: one round of GETs a second, never two at once, paused while the tab is hidden.
import { ACTIONS_SHOWN, clearActions, renderActions } from './actions-panel.js';
import { ApiError, apiGet, AuthError } from './api.js';
import { routes } from './contract/routes.js';
import { clearDatabases, renderDatabases } from './databases-panel.js';
import { fetchDatabases } from './databases-fetch.js';
import { clearFleet, renderFleet } from './fleet-panel.js';
import { asArray, clock } from './format.js';
import { clearHeader, markStale, setBanner, setLive, showClusterName } from './header.js';
import { clearModules, renderModules } from './modules-panel.js';
import { clearNodes, renderNodes } from './nodes-panel.js';

/** @typedef {import('./session.js').Session} Session */
/** @typedef {import('./contract/views.js').ClusterSettingsView} ClusterSettingsView */
/** @typedef {import('./contract/views.js').NodeView} NodeView */
/** @typedef {import('./contract/views.js').FleetArtifactView} FleetArtifactView */
/** @typedef {import('./contract/action-object.js').ActionObject} ActionObject */
/** @typedef {import('./contract/log-event.js').LogEvent} LogEvent */

const POLL_MS = 1000;
const RETRY_MS = 3000;
const CLUSTER_REFRESH_MS = 15000;

/** The logged-in session and the polling loop's state. */
const poller = {
  /** @type {Session | undefined} */
  session: undefined,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  timer: undefined,
  /** The generation whose round of GETs is running, if any. @type {number | undefined} */
  inFlight: undefined,
  /** Bumped at login and logout: answers to an older generation are dropped. */
  generation: 0,
  failures: 0,
  lastSuccess: 0,
  clusterFetchedAt: 0,
};

/** @type {() => void} */
let credentialsRefused = () => {};

/** What to do once the API stops accepting the session's credentials (the login panel logs out). */
export function whenCredentialsRefused(/** @type {() => void} */ handler) {
  credentialsRefused = handler;
}

/** @param {Partial<ClusterSettingsView>} cluster */
function showCluster(cluster) {
  showClusterName(cluster);
  poller.clusterFetchedAt = Date.now();
}

/**
 * @param {Session} session
 * @param {Partial<ClusterSettingsView> | undefined} cluster what the login already fetched, if anything
 */
export function startPolling(session, cluster) {
  poller.session = session;
  poller.generation += 1;
  poller.failures = 0;
  if (cluster) showCluster(cluster);
  else poller.clusterFetchedAt = 0;
  setLive('connecting', 'connecting…');
  void tick();
}

/** Logout: drop the session, forget every answer still in flight, and empty the dashboard. */
export function endPolling() {
  poller.generation += 1;
  stopTimer();
  poller.session = undefined;
  clearNodes();
  clearFleet();
  clearActions();
  clearDatabases();
  clearModules();
  clearHeader();
  poller.lastSuccess = 0;
  poller.clusterFetchedAt = 0;
}

function stopTimer() {
  clearTimeout(poller.timer);
  poller.timer = undefined;
}

/** @param {number} delay */
function schedule(delay) {
  stopTimer();
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
    const [nodes, fleet, actions, cluster, databases, modules, events] = await Promise.all([
      apiGet(routes.nodes, session.authorization),
      apiGet(routes.fleetArtifacts, session.authorization),
      apiGet(`${routes.actions}?limit=${ACTIONS_SHOWN}`, session.authorization),
      wantCluster ? apiGet(routes.cluster, session.authorization) : undefined,
      fetchDatabases(session.authorization),
      apiGet(routes.modules, session.authorization),
      fetchStartedBy(session.authorization),
    ]);
    if (generation !== poller.generation) return;
    if (cluster) showCluster(/** @type {Partial<ClusterSettingsView>} */ (cluster));
    /** @type {NodeView[]} */
    const nodeList = asArray(nodes);
    renderNodes(nodeList);
    renderFleet(nodeList, asArray(fleet));
    renderActions(asArray(actions), events);
    renderDatabases(databases);
    renderModules(
      asArray(modules),
      databases.map(row => row.bdb),
    );
    poller.failures = 0;
    poller.lastSuccess = Date.now();
    markStale(false);
    setBanner('');
    setLive('live', `live · ${clock(poller.lastSuccess)}`);
  } catch (err) {
    if (generation !== poller.generation) return;
    if (err instanceof AuthError) {
      credentialsRefused();
      return;
    }
    poller.failures += 1;
    if (poller.lastSuccess) markStale(true);
    setLive('offline', 'offline');
    setBanner(pollFailureMessage(err));
  } finally {
    if (poller.inFlight === generation) poller.inFlight = undefined;
    if (generation === poller.generation) schedule(poller.failures > 0 ? RETRY_MS : POLL_MS);
  }
}

/**
 * The newest events of the cluster event log, by the action each started. A role without
 * view_logged_events (403), or a coordinator without the log (404), shows no "by" lines.
 * @param {string} authorization
 * @returns {Promise<Map<string, LogEvent>>}
 */
async function fetchStartedBy(authorization) {
  /** @type {LogEvent[]} */
  const events = asArray(
    await apiGet(`${routes.logs}?order=desc&limit=200`, authorization).catch(err => {
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return [];
      throw err;
    }),
  );
  return new Map(events.filter(event => event.action_uid).map(event => [String(event.action_uid), event]));
}

/** @param {unknown} err */
function pollFailureMessage(err) {
  const since = poller.lastSuccess ? ` Showing data from ${clock(poller.lastSuccess)}.` : '';
  if (err instanceof ApiError && err.status === 403) {
    return `This user’s role may not view everything on this page (${err.message}).`;
  }
  if (err instanceof ApiError) return `The coordinator answered ${err.status}: ${err.message}. Retrying…${since}`;
  return `Cannot reach the coordinator. Retrying…${since}`;
}

export function onVisibilityChange() {
  if (!poller.session) return;
  if (document.hidden) {
    stopTimer();
    setLive('paused', 'paused while hidden');
  } else {
    void tick();
  }
}
