// What the API client throws and its defaults, apart from the client itself (undici): commands
// register their flags and report errors with these without loading the HTTP stack.

/** The local cluster's admin (`modfleet up`, and the coordinator's default MODFLEET_ADMIN_EMAIL). */
export const DEFAULT_URL = 'https://127.0.0.1:9443';
export const DEFAULT_USER = 'admin@modfleet.local';

/** An answer outside 2xx: the RS error body `{error_code, description}`, or what stood in for it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

/** The request never got an HTTP answer: nothing listens, unknown host, TLS refused, timeout. */
export class ConnectionError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}
