/**
 * One run of `work` at a time: callers that arrive while it runs get its result instead of
 * starting another (a deep inventory reads every byte on the node's disk; forty viewers asking
 * at once must cost one read, not forty).
 */
export function singleFlight<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= work().finally(() => {
      running = undefined;
    });
    return running;
  };
}
