import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions<T> {
  /** From the start of one read to the start of the next (at once when a read took longer). */
  intervalMs: number;
  /** Give up after this long and return the last value seen; none: wait for ever. */
  timeoutMs?: number | undefined;
  /** A read that throws one of these is tried again; any other error is thrown at once. Default: none. */
  retryIf?: ((err: unknown) => boolean) | undefined;
  /** How long reads may keep failing in a row before the error is thrown. Default: until the timeout. */
  retryForMs?: number | undefined;
  /** The pause after a failed read. Default: `intervalMs`. */
  retryIntervalMs?: number | undefined;
  /** Each value read, before `done` is asked. */
  onValue?: ((value: T) => void) | undefined;
  /** Each read that failed and will be tried again. */
  onRetry?: ((err: unknown) => void) | undefined;
  /** Stops the waiting: the pending pause rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export type PollResult<T> = { ended: true; value: T } | { ended: false; value: T };

/** Reads failed (retried) until the timeout: there is no value to return. */
export class PollError extends Error {
  constructor(
    message: string,
    readonly lastError: unknown,
  ) {
    super(message, { cause: lastError });
    this.name = 'PollError';
  }
}

/**
 * Reads until `done(value)` holds (`ended: true`) or the timeout passes (`ended: false`, the last
 * value read). Every wait for a state in the CLI, `modfleet load`, the benches and the test helpers
 * goes through here, so that they time out, retry and stop alike. Imports no library: the CLI
 * loads it through the light entry `@modfleet/common/poll`.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: PollOptions<T>,
): Promise<PollResult<T>> {
  const { intervalMs, retryIf = () => false, signal } = options;
  const started = performance.now();
  const deadline = options.timeoutMs === undefined ? Infinity : started + options.timeoutMs;
  const retryForMs = options.retryForMs ?? Infinity;
  let seen: { value: T } | undefined;
  let failingSince: number | undefined;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    const readAt = performance.now();
    let pause = intervalMs;
    try {
      const value = await read();
      seen = { value };
      failingSince = undefined;
      options.onValue?.(value);
      if (done(value)) return { ended: true, value };
    } catch (err) {
      if (!retryIf(err)) throw err;
      lastError = err;
      failingSince ??= readAt;
      if (performance.now() - failingSince > retryForMs) throw err;
      options.onRetry?.(err);
      pause = options.retryIntervalMs ?? intervalMs;
    }
    const now = performance.now();
    if (now >= deadline) {
      if (seen) return { ended: false, value: seen.value };
      throw new PollError(`no answer in ${options.timeoutMs} ms`, lastError);
    }
    const wait = Math.min(pause - (now - readAt), deadline - now);
    if (wait > 0) {
      await sleep(wait, undefined, signal && { signal }).catch((err: unknown) => {
        signal?.throwIfAborted();
        throw err;
      });
    }
  }
}
