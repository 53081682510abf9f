// @ts-check
// Session: sessionStorage only (gone when the tab closes), never localStorage or a cookie.

/** @typedef {{ authorization: string, email: string }} Session */

const SESSION_KEY = 'modfleet.status.session';

/** @returns {Session | undefined} */
export function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (saved && typeof saved.authorization === 'string' && typeof saved.email === 'string') return saved;
  } catch {
    // unreadable: start from the login form
  }
  return undefined;
}

/** @param {Session} session */
export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}
