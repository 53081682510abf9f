import type { ShardPreflight } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { preflightVerdict, unansweredShard } from './preflight-verdict.js';

const shard = (extra: Partial<ShardPreflight> = {}): ShardPreflight => ({
  node_uid: 1,
  shard_uid: 1,
  role: 'master',
  load: { ok: true },
  data: { ok: true, keys: 10 },
  duration_ms: 5,
  ...extra,
});
const WORDS = 'mfver 1.0.0 cannot load mfvertype encoding version 2';

describe('the pre-flight verdict of a database', () => {
  it('is ok only when every shard loaded the target and its data', () => {
    expect(preflightVerdict([shard(), shard({ node_uid: 2 })], false).ok).toBe(true);
    expect(preflightVerdict([shard(), shard({ load: { ok: false, error: 'typo' } })], false).ok).toBe(false);
    expect(preflightVerdict([shard(), shard({ data: { ok: false, error: 'bad rdb' } })], false).ok).toBe(false);
    expect(preflightVerdict([], false).ok).toBe(false);
  });

  it('says not_rehearsed when no rehearsal was asked, whatever the shards say', () => {
    const verdict = preflightVerdict([shard({ rollback: { possible: false, error: WORDS } })], false);
    expect(verdict).toMatchObject({ rollback: 'not_rehearsed' });
    expect(verdict.rollback_reason).toBeUndefined();
  });

  it('says possible only when every shard read back what the target saved', () => {
    const possible = { rollback: { possible: true } };
    expect(preflightVerdict([shard(possible), shard({ node_uid: 2, ...possible })], true)).toMatchObject({
      rollback: 'possible',
    });
  });

  it('says impossible with the first refusing node’s words, a loader’s refusal before a rehearsal that never ran', () => {
    const verdict = preflightVerdict(
      [
        shard({ rollback: { possible: true } }),
        shard({ node_uid: 2, rollback: { possible: false, error: 'not rehearsed: the data did not load' } }),
        shard({ node_uid: 3, rollback: { possible: false, error: WORDS } }),
        shard({ node_uid: 4, rollback: { possible: false, error: 'another refusal' } }),
      ],
      true,
    );
    expect(verdict).toMatchObject({ ok: true, rollback: 'impossible', rollback_reason: WORDS });
  });

  it('never says possible for a shard that was not rehearsed', () => {
    const verdict = preflightVerdict([shard({ rollback: { possible: true } }), shard({ node_uid: 2 })], true);
    expect(verdict.rollback).toBe('impossible');
    expect(verdict.rollback_reason).toBe('not rehearsed: node 2 did not rehearse shard 1');
  });

  it('fails a shard whose node did not answer, with the wait in seconds', () => {
    const silent = unansweredShard({ node_uid: 7, shard_uid: 3, role: 'slave' }, 30_000, true);
    expect(silent).toMatchObject({
      load: { ok: false, error: 'node 7 did not answer within 30 s' },
      data: { ok: false },
      rollback: { possible: false },
    });
    const verdict = preflightVerdict([shard({ rollback: { possible: true } }), silent], true);
    expect(verdict).toMatchObject({ ok: false, rollback: 'impossible' });
    expect(verdict.rollback_reason).toContain('node 7 did not answer within 30 s');
    expect(unansweredShard({ node_uid: 7, shard_uid: 3, role: 'slave' }, 30_000, false).rollback).toBeUndefined();
  });
});
