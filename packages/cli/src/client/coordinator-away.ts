import { ApiError, ConnectionError } from './api-client.js';

/** No answer, or a proxy's: the coordinator is restarting; what it stores lives on in Redis. */
export const isTransient = (err: unknown) =>
  err instanceof ConnectionError || (err instanceof ApiError && [502, 503, 504].includes(err.status));

/** The CLI rides out a coordinator that is away this long while it waits. */
export const RETRY_FOR_MS = 30_000;

/** A wait's options that ride out a coordinator away for up to `RETRY_FOR_MS`. */
export const RIDE_OUT = { retryIf: isTransient, retryForMs: RETRY_FOR_MS } as const;
