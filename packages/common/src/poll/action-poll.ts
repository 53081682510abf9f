import { pathTo, routes, type ActionObject, type StateMachineObject } from '../contract/index.js';
import { pollUntil, type PollResult } from './poll-until.js';

/**
 * What an action wait reads through (the CLI's ApiClient, a test's or a bench's HTTP client): a
 * JSON GET that throws on anything but success.
 */
export interface ActionReader {
  get<T>(path: string): Promise<T>;
}

export const TERMINAL_ACTION_STATUSES: readonly string[] = ['completed', 'failed'];

export const actionEnded = (action: Pick<ActionObject, 'status'>) => TERMINAL_ACTION_STATUSES.includes(action.status);

export interface ActionWaitOptions<A> {
  intervalMs: number;
  /** None: wait until the action ends. */
  timeoutMs?: number | undefined;
  /** The first answer, then each one that differs from the one before (progress, a new state). */
  onChange?: ((action: A) => void) | undefined;
  /** The first failed read of an outage (`retryIf` said it is worth another try). */
  onRetry?: ((err: Error) => void) | undefined;
  /** The first answer after an outage. */
  onRecover?: (() => void) | undefined;
  /** Errors worth another read (the coordinator not answering, for one). Default: none, thrown at once. */
  retryIf?: ((err: unknown) => boolean) | undefined;
  /** How long reads may fail in a row. Default: until the timeout. */
  retryForMs?: number | undefined;
  retryIntervalMs?: number | undefined;
  /** When the wait is over. Default: the action ended. */
  until?: ((action: A) => boolean) | undefined;
  signal?: AbortSignal | undefined;
}

/** Polls `path` until `ended(answer)`; the change and outage callbacks fire once each, not on every read. */
function pollActionAt<A>(
  client: ActionReader,
  path: string,
  ended: (action: A) => boolean,
  options: ActionWaitOptions<A>,
): Promise<PollResult<A>> {
  let lastJson: string | undefined;
  let failing = false;
  return pollUntil(() => client.get<A>(path), options.until ?? ended, {
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    retryIf: options.retryIf,
    retryForMs: options.retryForMs,
    retryIntervalMs: options.retryIntervalMs,
    signal: options.signal,
    onValue(action) {
      if (failing) {
        failing = false;
        options.onRecover?.();
      }
      if (!options.onChange) return;
      const json = JSON.stringify(action);
      if (json === lastJson) return;
      lastJson = json;
      options.onChange(action);
    },
    onRetry(err) {
      if (failing) return;
      failing = true;
      options.onRetry?.(err instanceof Error ? err : new Error(String(err)));
    },
  });
}

/** A fleet action (GET /v2/actions/<uid>) until it is `completed` or `failed`, or the timeout passes. */
export function pollAction(
  client: ActionReader,
  actionUid: string,
  options: ActionWaitOptions<ActionObject>,
): Promise<PollResult<ActionObject>> {
  return pollActionAt(client, pathTo(routes.action, { uid: actionUid }), actionEnded, options);
}

/** A database state machine (GET /v1/actions/<uid>) until it is no longer `active`, or the timeout passes. */
export function pollStateMachine(
  client: ActionReader,
  actionUid: string,
  options: ActionWaitOptions<StateMachineObject>,
): Promise<PollResult<StateMachineObject>> {
  return pollActionAt(
    client,
    pathTo(routes.v1Action, { uid: actionUid }),
    (machine: StateMachineObject) => machine.status !== 'active',
    options,
  );
}
