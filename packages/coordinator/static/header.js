// @ts-check
// The dashboard's frame: the top bar (cluster, live state, user), the banner, stale marking.
import { byId, setAttr, setText } from './dom.js';

/** @typedef {import('./contract/views.js').ClusterSettingsView} ClusterSettingsView */

const appView = byId('app-view', HTMLElement);
const clusterName = byId('cluster-name', HTMLElement);
const userEmail = byId('user-email', HTMLElement);
const live = byId('live', HTMLElement);
const liveText = byId('live-text', HTMLElement);
const banner = byId('banner', HTMLElement);

/** @param {boolean} visible */
export function showDashboard(visible) {
  appView.hidden = !visible;
}

/** Data on screen is older than the last failed round. @param {boolean} stale */
export function markStale(stale) {
  appView.classList.toggle('stale', stale);
}

/** @param {Partial<ClusterSettingsView>} cluster */
export function showClusterName(cluster) {
  const name = typeof cluster.name === 'string' ? cluster.name : '';
  clusterName.textContent = name;
  document.title = name ? `${name} · modfleet status` : 'modfleet status';
}

/** @param {string} email */
export function showUser(email) {
  userEmail.textContent = email;
  userEmail.title = `Signed in as ${email}`;
}

/** @param {string} message */
export function setBanner(message) {
  setText(banner, message);
  banner.hidden = !message;
}

/**
 * @param {'connecting' | 'live' | 'offline' | 'paused'} state
 * @param {string} text
 */
export function setLive(state, text) {
  setAttr(live, 'data-state', state);
  setText(liveText, text);
}

export function clearHeader() {
  clusterName.textContent = '';
  userEmail.textContent = '';
  markStale(false);
  setBanner('');
}
