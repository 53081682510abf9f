import { redisShardControl, type ShardAddress } from '@modfleet/coordinator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.js';
import { pollFor } from '../helpers/poll.js';
import { probeRedis } from '../helpers/redis-probe.js';

const at = (server: OwnRedis): ShardAddress => ({ host: '127.0.0.1', port: server.port });

describe('the failover switch over a kept-connection session (real redis-servers)', () => {
  let master: OwnRedis;
  let replica: OwnRedis;

  beforeAll(async () => {
    [master, replica] = await Promise.all([startOwnRedis(), startOwnRedis()]);
    await redisShardControl.replicaOf(at(replica), at(master));
    await pollFor(
      () => redisShardControl.replication(at(replica)),
      info => info.linkUp,
      'the replica in sync',
    );
  });

  afterAll(async () => {
    await Promise.allSettled([master?.stop(), replica?.stop()]);
  });

  it('refuses a write the pause held READONLY once the old master is demoted: none is acknowledged there', async () => {
    const session = redisShardControl.session!();
    const client = probeRedis(master.port);
    try {
      await client.connect();
      await session.pauseWrites(at(master), 10_000);
      const held = client.set('during-switch', '1').then(
        () => 'acknowledged',
        (err: Error) => err.message,
      );
      const probe = probeRedis(master.port);
      await pollFor(
        async () => String(await probe.call('CLIENT', 'LIST')),
        list => list.includes('cmd=set'),
        'the write waiting in the pause',
        { intervalMs: 5 },
      ).finally(() => probe.disconnect());
      await session.replicaOf(at(replica), undefined);
      await session.demote(at(master), at(replica));

      expect(await held).toMatch(/^READONLY/);
      expect((await session.replication(at(master))).role).toBe('slave');
      expect((await session.replication(at(replica))).role).toBe('master');
      const onNewMaster = probeRedis(replica.port);
      expect(await onNewMaster.get('during-switch').finally(() => onNewMaster.disconnect())).toBeNull();
    } finally {
      session.close();
      client.disconnect();
    }
  });
});
