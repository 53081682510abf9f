// @ts-check
// Login and logout. The form only ever submits through this script (never natively, which
// would put the password in a URL).
import { ApiError, apiGet, AuthError, basicAuthorization } from './api.js';
import { routes } from './contract/routes.js';
import { byId } from './dom.js';
import { showDashboard, showUser } from './header.js';
import { endPolling, startPolling } from './poller.js';
import { clearSession, loadSession, saveSession } from './session.js';

/** @typedef {import('./session.js').Session} Session */
/** @typedef {import('./contract/views.js').ClusterSettingsView} ClusterSettingsView */

const view = byId('login-view', HTMLElement);
const form = byId('login-form', HTMLFormElement);
const email = byId('login-email', HTMLInputElement);
const password = byId('login-password', HTMLInputElement);
const error = byId('login-error', HTMLElement);
const submit = byId('login-submit', HTMLButtonElement);

/**
 * @param {string} message
 * @param {'error' | 'info'} [kind]
 */
function showLoginError(message, kind = 'error') {
  error.textContent = message;
  error.dataset.kind = kind;
  error.hidden = !message;
}

/**
 * @param {string} [message]
 * @param {'error' | 'info'} [kind]
 */
function showLogin(message = '', kind = 'error') {
  showDashboard(false);
  view.hidden = false;
  password.value = '';
  showLoginError(message, kind);
  document.title = 'modfleet status';
  (email.value ? password : email).focus();
}

/**
 * @param {string} [message]
 * @param {'error' | 'info'} [kind]
 */
export function logout(message = '', kind = 'error') {
  clearSession();
  endPolling();
  showLogin(message, kind);
}

/** @param {SubmitEvent} event */
async function onLoginSubmit(event) {
  event.preventDefault();
  const address = email.value.trim();
  const secret = password.value;
  if (!address || !secret) {
    showLoginError('Enter your email and password.');
    return;
  }
  if (address.includes(':')) {
    showLoginError('An email cannot contain ":".');
    return;
  }
  const authorization = basicAuthorization(address, secret);
  submit.disabled = true;
  submit.textContent = 'Signing in…';
  showLoginError('');
  try {
    const cluster = await apiGet(routes.cluster, authorization);
    password.value = '';
    startSession({ authorization, email: address }, /** @type {Partial<ClusterSettingsView>} */ (cluster));
  } catch (err) {
    password.value = '';
    password.focus();
    showLoginError(loginFailureMessage(err));
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
}

/** @param {unknown} err */
function loginFailureMessage(err) {
  if (err instanceof AuthError) return 'Wrong email or password.';
  if (err instanceof ApiError && err.status === 403) return 'This user’s role may not view the cluster.';
  if (err instanceof ApiError) return `The coordinator answered ${err.status}: ${err.message}`;
  return 'Cannot reach the coordinator. Check that it is running and try again.';
}

/**
 * @param {Session} session
 * @param {Partial<ClusterSettingsView> | undefined} cluster
 */
function startSession(session, cluster) {
  saveSession(session);
  showUser(session.email);
  view.hidden = true;
  showDashboard(true);
  startPolling(session, cluster);
}

/** Wires the form, then resumes this tab's session or asks for credentials. */
export function initLoginPanel() {
  form.addEventListener('submit', event => void onLoginSubmit(event));
  submit.disabled = false;
  const saved = loadSession();
  if (saved) {
    email.value = saved.email;
    startSession(saved, undefined);
  } else {
    showLogin();
  }
}
