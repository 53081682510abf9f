import { describe, expect, it } from 'vitest';
import type { ActionObject } from '../contract/index.js';
import { pollAction, type ActionReader } from './action-poll.js';
import { PollError, pollUntil } from './poll-until.js';

const action = (status: string, progress = 0) =>
  ({ action_uid: 'a1', status, progress, additional_info: { pending_ops: {} } }) as unknown as ActionObject;

/** Answers GET with each entry in turn (an Error is thrown), the last one for ever. */
function scripted(answers: (ActionObject | Error)[]): ActionReader & { reads: number } {
  const reader = {
    reads: 0,
    get<T>(): Promise<T> {
      const answer = answers[Math.min(reader.reads++, answers.length - 1)]!;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer as T);
    },
  };
  return reader;
}

class Away extends Error {}
const lost = () => new Away('connection refused');
const isAway = (err: unknown) => err instanceof Away;

describe('pollUntil', () => {
  it('returns the value that ends the wait', async () => {
    let n = 0;
    const result = await pollUntil(
      () => Promise.resolve(++n),
      value => value === 3,
      { intervalMs: 1 },
    );
    expect(result).toEqual({ ended: true, value: 3 });
  });

  it('returns the last value, not ended, once the timeout passes', async () => {
    const result = await pollUntil(
      () => Promise.resolve('pending'),
      () => false,
      { intervalMs: 5, timeoutMs: 30 },
    );
    expect(result).toEqual({ ended: false, value: 'pending' });
  });

  it('throws an error it was not told to retry at once', async () => {
    let reads = 0;
    const read = () => (reads++, Promise.reject(new Error('boom')));
    await expect(pollUntil(read, () => true, { intervalMs: 1, timeoutMs: 1000 })).rejects.toThrow('boom');
    expect(reads).toBe(1);
  });

  it('retries what retryIf accepts, for retryForMs at the most', async () => {
    const read = () => Promise.reject(new Error('away'));
    await expect(pollUntil(read, () => true, { intervalMs: 1, retryIf: () => true, retryForMs: 20 })).rejects.toThrow(
      'away',
    );
  });

  it('says no read answered when the timeout passes without a value', async () => {
    const read = () => Promise.reject(new Error('away'));
    const failure = pollUntil(read, () => true, { intervalMs: 1, timeoutMs: 20, retryIf: () => true });
    await expect(failure).rejects.toBeInstanceOf(PollError);
  });

  it('stops when its signal aborts', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stopped')), 20);
    const waiting = pollUntil(
      () => Promise.resolve(0),
      () => false,
      { intervalMs: 5, signal: abort.signal },
    );
    await expect(waiting).rejects.toThrow('stopped');
  });
});

describe('pollAction', () => {
  it('reports each change once and ends on a terminal status', async () => {
    const reader = scripted([action('queued'), action('queued'), action('running', 50), action('completed', 100)]);
    const seen: string[] = [];
    const { value, ended } = await pollAction(reader, 'a1', {
      intervalMs: 1,
      onChange: current => seen.push(`${current.status} ${current.progress}`),
    });
    expect(ended).toBe(true);
    expect(value.status).toBe('completed');
    expect(seen).toEqual(['queued 0', 'running 50', 'completed 100']);
  });

  it('rides out a coordinator that is away, saying so once per outage', async () => {
    const reader = scripted([action('running'), lost(), lost(), action('running'), lost(), action('failed')]);
    const events: string[] = [];
    const { value } = await pollAction(reader, 'a1', {
      intervalMs: 1,
      retryIf: isAway,
      onRetry: err => events.push(`retry ${err.message}`),
      onRecover: () => events.push('back'),
    });
    expect(value.status).toBe('failed');
    expect(events).toEqual(['retry connection refused', 'back', 'retry connection refused', 'back']);
  });

  it('throws an answer that is not the coordinator being away', async () => {
    const reader = scripted([new Error('no such action')]);
    await expect(pollAction(reader, 'a1', { intervalMs: 1, retryIf: isAway })).rejects.toThrow('no such action');
    expect(reader.reads).toBe(1);
  });

  it('returns the action still running when the timeout passes', async () => {
    const { value, ended } = await pollAction(scripted([action('running')]), 'a1', { intervalMs: 5, timeoutMs: 30 });
    expect(ended).toBe(false);
    expect(value.status).toBe('running');
  });
});
