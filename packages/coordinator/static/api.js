// @ts-check
// API access: GETs against this coordinator with the session's Basic credentials.

/** @typedef {import('./contract/views.js').RsErrorBody} RsErrorBody */

export class AuthError extends Error {}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Partial<RsErrorBody> | undefined} body
   */
  constructor(status, body) {
    super(body && typeof body.description === 'string' ? body.description : `HTTP ${status}`);
    this.status = status;
    this.errorCode = body && typeof body.error_code === 'string' ? body.error_code : undefined;
  }
}

/** server clock minus browser clock, from the Date header, so "2 s ago" is right on a skewed laptop. */
let skewMs = 0;

/** Now, by the coordinator's clock. */
export function serverNow() {
  return Date.now() + skewMs;
}

/**
 * `Basic base64(utf8(email:password))`, as RS and the coordinator read it.
 * @param {string} email
 * @param {string} password
 */
export function basicAuthorization(email, password) {
  const bytes = new TextEncoder().encode(`${email}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * GET a JSON resource of this coordinator. The contract's paths are absolute; the page asks
 * relative to its own URL, so it keeps working behind a proxy that mounts it under a prefix.
 * `credentials: 'omit'` keeps the browser out of the Basic exchange: a 401 comes back to this
 * script instead of opening the browser's own login dialog, and no credentials the browser cached
 * elsewhere are ever sent.
 * @param {string} path a path from the contract's routes, e.g. routes.nodes
 * @param {string} authorization
 * @returns {Promise<unknown>}
 */
export async function apiGet(path, authorization) {
  const res = await fetch(path.replace(/^\//, ''), {
    headers: { Authorization: authorization, Accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'error',
  });
  noteServerClock(res);
  if (res.status === 401) throw new AuthError('credentials refused');
  /** @type {unknown} */
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, /** @type {Partial<RsErrorBody> | undefined} */ (body));
  return body;
}

/** @param {Response} res */
function noteServerClock(res) {
  const date = Date.parse(res.headers.get('Date') ?? '');
  if (Number.isNaN(date)) return;
  // The header has whole seconds: only correct skews it can actually measure.
  const skew = date + 500 - Date.now();
  skewMs = Math.abs(skew) > 2000 ? skew : 0;
}
