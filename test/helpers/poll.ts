export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

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
