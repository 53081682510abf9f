// Waiting for a state: one poll loop and the waits for an action built on it. Its own light entry
// (`@modfleet/common/poll`) beside the contract, so the CLI's commands wait without loading the
// whole package. It imports no library.

export { PollError, pollUntil, type PollOptions, type PollResult } from './poll-until.js';
export {
  actionEnded,
  pollAction,
  pollStateMachine,
  TERMINAL_ACTION_STATUSES,
  type ActionReader,
  type ActionWaitOptions,
} from './action-poll.js';
