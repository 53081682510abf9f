import {
  pollAction,
  PollError,
  pollStateMachine,
  type ActionObject,
  type ActionReader,
  type ActionWaitOptions,
  type PollResult,
  type StateMachineObject,
} from '@modfleet/common';
import type { WaitOptions } from './poll.js';

/** A test's or bench's HTTP call as an action wait reads through: anything but 200 is thrown. */
export function readerOf(call: (path: string) => Promise<{ status: number; body: unknown }>): ActionReader {
  return {
    async get<T>(path: string): Promise<T> {
      const res = await call(path);
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as T;
    },
  };
}

type TestWait<A> = WaitOptions & Pick<ActionWaitOptions<A>, 'onChange' | 'until'>;
type Poll<A> = (reader: ActionReader, uid: string, options: ActionWaitOptions<A>) => Promise<PollResult<A>>;

/**
 * The tests' action wait: every failed read is tried again until the timeout, which is thrown
 * with the last answer (or error) seen.
 */
async function untilEnded<A>(poll: Poll<A>, reader: ActionReader, uid: string, what: string, wait: TestWait<A>) {
  const { timeoutMs = 30_000, intervalMs = 100, ...options } = wait;
  let seen: string;
  try {
    const result = await poll(reader, uid, {
      ...options,
      timeoutMs,
      intervalMs,
      retryIf: () => true,
      retryForMs: Infinity,
    });
    if (result.ended) return result.value;
    seen = JSON.stringify(result.value, null, 2);
  } catch (err) {
    if (!(err instanceof PollError)) throw err;
    seen = err.lastError instanceof Error ? err.lastError.message : String(err.lastError);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what} ${uid} to finish; last seen: ${seen}`);
}

/** Polls GET /v2/actions/<uid> until it ends (or `until`); 30 s by default. */
export const waitForActionEnd = (reader: ActionReader, uid: string, wait: TestWait<ActionObject> = {}) =>
  untilEnded(pollAction, reader, uid, 'action', wait);

/** Polls GET /v1/actions/<uid> until the state machine is no longer active (or `until`); 90 s by default. */
export const waitForMachineEnd = (reader: ActionReader, uid: string, wait: TestWait<StateMachineObject> = {}) =>
  untilEnded(pollStateMachine, reader, uid, 'state machine', { timeoutMs: 90_000, intervalMs: 200, ...wait });
