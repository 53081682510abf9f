import { findRedisServer } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardInfo } from '../helpers/databases.js';
import { preflightMfver, startPreflightNodes, type PreflightNodes } from '../helpers/preflight-nodes.js';
import { freePort } from '../helpers/processes.js';
import { deletePrefix, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const KEYS = 203;

describe('upgrade pre-flight of a replicated database: the replica gives the data', () => {
  const prefix = uniquePrefix('preflight-repl');
  let work: string;
  let nodes: PreflightNodes;
  const master = () => nodes.shards[0]!;
  const replica = () => nodes.shards[1]!;
  const forksOf = async (port: number) => {
    const stats = await shardInfo(port, 'stats');
    return { total_forks: stats.total_forks, sync_full: stats.sync_full };
  };

  beforeAll(async () => {
    work = await makeTmpDir('modfleet-preflight-repl');
    nodes = await startPreflightNodes({ work, redisServer: (await findRedisServer())!, prefix, replicated: true });
    for (let i = 0; i < 200; i += 1) await master().client.set(`plain:${i}`, `value ${i}`);
    for (let i = 0; i < 3; i += 1) await master().client.call('MFVER.SET', `typed:${i}`, `mf ${i}`);
    expect(await master().client.call('WAIT', '1', '10000')).toBe(1);
  });

  afterAll(async () => {
    await nodes?.stop();
    await deletePrefix(prefix);
    if (work) await removeDir(work);
  });

  it('1.0.0 → 1.1.0: both nodes load the replica’s data, the master is never forked, one rehearsal answers for both', async () => {
    const before = await forksOf(master().plan.port);

    const preflight = await nodes.run([preflightMfver('1.1.0', 'LABEL new')]);

    expect(await forksOf(master().plan.port)).toEqual(before);
    // The replica's node copied it uncompressed, and switched compression back on once done.
    for (const { client } of nodes.shards)
      expect(await client.config('GET', 'rdbcompression')).toEqual(['rdbcompression', 'yes']);
    expect(preflight).toMatchObject({ ok: true, rollback: 'possible' });
    const byNode = new Map(preflight.shards.map(shard => [shard.node_uid, shard]));
    expect(byNode.get(2)).toEqual(
      expect.objectContaining({
        shard_uid: 12,
        role: 'slave',
        load: { ok: true },
        data: { ok: true, keys: KEYS },
        rollback: { possible: true },
      }),
    );
    expect(byNode.get(1)).toEqual(
      expect.objectContaining({
        shard_uid: 11,
        role: 'master',
        load: { ok: true },
        data: { ok: true, keys: KEYS, copied_from: { node_uid: 2, shard_uid: 12 } },
        rollback: { possible: true, rehearsed_by: { node_uid: 2, shard_uid: 12 } },
      }),
    );
    expect(nodes.takeSteps()).toMatchObject({ 1: [{ 11: { copy: expect.any(Number) as number } }] });
  });

  it('1.0.0 → 2.0.0: the replica’s node finds the rollback impossible, and the master’s entry says whose words they are', async () => {
    const preflight = await nodes.run([preflightMfver('2.0.0')]);

    expect(preflight).toMatchObject({ ok: true, rollback: 'impossible' });
    expect(preflight.rollback_reason).toContain('mfver 1.0.0 cannot load mfvertype encoding version 2');
    const onMaster = preflight.shards.find(shard => shard.node_uid === 1)!;
    expect(onMaster.rollback).toMatchObject({ possible: false, rehearsed_by: { node_uid: 2, shard_uid: 12 } });
    expect(onMaster.rollback?.error).toContain('cannot load mfvertype encoding version 2');
  });

  it('a replica that is not in sync never stands in: the master’s node copies the master itself', async () => {
    const lagging = await nodes.startServer(['--save', '', '--replicaof', '127.0.0.1', String(await freePort())]);
    const record = {
      ...nodes.record,
      placement: [
        nodes.record.placement[0]!,
        { ...nodes.record.placement[1]!, plan: { ...replica().plan, port: lagging.port } },
      ],
    };
    const before = Number((await forksOf(master().plan.port)).total_forks);

    const preflight = await nodes.runner.run(record, [preflightMfver('1.1.0')], { rehearseRollback: true });

    expect(preflight).toMatchObject({ ok: true, rollback: 'possible' });
    const onMaster = preflight.shards.find(shard => shard.node_uid === 1)!;
    expect(onMaster.data).toEqual({ ok: true, keys: KEYS });
    expect(Number((await forksOf(master().plan.port)).total_forks)).toBe(before + 1);
  });
});
