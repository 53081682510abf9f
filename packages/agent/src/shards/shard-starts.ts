/**
 * How many shards one agent starts at once. Each start waits for its redis-server to answer PING
 * (loading an AOF can take seconds), so one at a time made 50 databases created together wait in
 * line past their 60 s limit; a bound keeps a burst from forking every redis-server at once.
 */
export const SHARD_START_CONCURRENCY = 8;

/** Runs `start` for every item, at most `limit` at a time, and resolves once all have finished. */
export async function startConcurrently<T>(
  items: readonly T[],
  start: (item: T) => Promise<void>,
  limit = SHARD_START_CONCURRENCY,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await start(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
