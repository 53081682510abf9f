import type { ShardPreflight, UpgradePreflight } from '@modfleet/common';

const NOT_REHEARSED = 'not rehearsed: ';

/**
 * The database's pre-flight from its shards': `ok` when every shard's load and data passed;
 * `rollback` `not_rehearsed` unless asked, `impossible` when any shard could not read back what the
 * target wrote (its words; a loader's refusal wins over a rehearsal that could not run), else `possible`.
 */
export function preflightVerdict(shards: ShardPreflight[], rehearseRollback: boolean): UpgradePreflight {
  const ok = shards.length > 0 && shards.every(shard => shard.load.ok && shard.data.ok);
  if (!rehearseRollback) return { ok, shards, rollback: 'not_rehearsed' };
  const refused = shards.filter(shard => shard.rollback?.possible !== true);
  const reason =
    refused.find(shard => !(shard.rollback?.error ?? NOT_REHEARSED).startsWith(NOT_REHEARSED)) ?? refused[0];
  if (!reason) return { ok, shards, rollback: 'possible' };
  const words =
    reason.rollback?.error ?? `${NOT_REHEARSED}node ${reason.node_uid} did not rehearse shard ${reason.shard_uid}`;
  return { ok, shards, rollback: 'impossible', rollback_reason: words };
}

/** A shard whose node did not answer in time. */
export function unansweredShard(
  shard: Pick<ShardPreflight, 'node_uid' | 'shard_uid' | 'role'>,
  timeoutMs: number,
  rehearseRollback: boolean,
): ShardPreflight {
  const error = `node ${shard.node_uid} did not answer within ${Math.round(timeoutMs / 1000)} s`;
  return {
    ...shard,
    load: { ok: false, error },
    data: { ok: false, error: `not tried: ${error}` },
    ...(rehearseRollback && { rollback: { possible: false, error: `${NOT_REHEARSED}${error}` } }),
    duration_ms: timeoutMs,
  };
}
