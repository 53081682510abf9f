import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Kept for test/helpers/write-load.ts until it imports node:timers/promises itself. */
export { sleep };

/** Polls `read` until `check` holds, returning the value; throws with the last value seen after the deadline. */
export async function pollFor<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  message: string,
  { timeoutMs = 15_000, intervalMs = 100 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (check(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError instanceof Error ? lastError.message : JSON.stringify(last, null, 2);
      throw new Error(`timed out after ${timeoutMs} ms: ${message}; last seen: ${seen}`);
    }
    await sleep(intervalMs);
  }
}
