import { PollError, pollUntil } from '@modfleet/common';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `read` until `check` holds, returning the value; a read that throws is tried again.
 * Throws with the last value (or error) seen after the deadline. The tests' and benches' one wait
 * for a state that is not an action (for an action: `pollAction` or `pollStateMachine`).
 */
export async function pollFor<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  message: string,
  { timeoutMs = 15_000, intervalMs = 100 }: WaitOptions = {},
): Promise<T> {
  let lastError: unknown;
  let last: { value: T } | undefined;
  try {
    const result = await pollUntil(read, check, {
      timeoutMs,
      intervalMs,
      retryIf: () => true,
      onValue: value => ((last = { value }), (lastError = undefined)),
      onRetry: err => (lastError = err),
    });
    if (result.ended) return result.value;
  } catch (err) {
    if (!(err instanceof PollError)) throw err;
  }
  const seen = lastError instanceof Error ? lastError.message : JSON.stringify(last?.value, null, 2);
  throw new Error(`timed out after ${timeoutMs} ms: ${message}; last seen: ${seen}`);
}
