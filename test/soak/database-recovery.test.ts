import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpointClient,
  installRediSearch,
  killShardsOf,
  privateDbPorts,
  shardsOf,
  waitForBdbStatus,
} from '../helpers/databases.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { api } from '../helpers/http.js';
import { pollFor } from '../helpers/poll.js';

const admin = FLEET_ADMIN;

describe('a replicated AOF database survives its shard and its agent being SIGKILLed (real processes)', () => {
  let cluster: FleetCluster;
  let bdb: BdbObject;

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2, coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts() } });
    await installRediSearch(cluster);
    const created = await cluster.api<BdbObject>(routes.bdbs, {
      method: 'POST',
      json: {
        name: 'durable',
        memory_size: 50_000_000,
        replication: true,
        data_persistence: 'aof',
        module_list: [{ module_name: 'ft', module_args: '' }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    bdb = await waitForBdbStatus(cluster.coordinator.url, admin, created.body.uid, 'pending');
    expect(bdb.status, bdb.status_reason).toBe('active');
  }, 120_000);

  afterAll(async () => {
    if (!cluster) return;
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  });

  const shards = () => shardsOf(cluster.coordinator.url, admin, bdb.uid);
  const master = async () => (await shards()).find(s => s.role === 'master')!;
  /** The master once its agent reports it running (a restarted shard answers a moment before). */
  const runningMaster = () => pollFor(master, s => s.report?.state === 'running', 'the master reported running');

  async function readKey(port: number, key: string): Promise<string | null> {
    const client = endpointClient('127.0.0.1', port);
    try {
      await client.connect();
      return await client.get(key);
    } finally {
      client.disconnect();
    }
  }

  it('copies the master’s writes to the replica on the other node', async () => {
    const all = await shards();
    expect(all.map(s => s.role).sort()).toEqual(['master', 'slave']);
    expect(new Set(all.map(s => s.node_uid)).size).toBe(2);
    const client = endpointClient('127.0.0.1', bdb.endpoints[0]!.port);
    await client.connect();
    await client.set('replicated', 'yes');
    client.disconnect();
    const replica = all.find(s => s.role === 'slave')!;
    await pollFor(
      () => readKey(replica.port, 'replicated'),
      value => value === 'yes',
      'the write on the replica',
    );
  });

  it('restarts a SIGKILLed shard within 3 s with every acknowledged write', async () => {
    const port = bdb.endpoints[0]!.port;
    const client = endpointClient('127.0.0.1', port);
    await client.connect();
    for (let i = 0; i < 100; i++) await client.set(`k${i}`, String(i));
    client.disconnect();
    const before = await runningMaster();
    process.kill(before.report!.pid!, 'SIGKILL');
    const killedAt = Date.now();

    await pollFor(
      () => readKey(port, 'k99').catch(() => null),
      value => value === '99',
      'the shard back',
      {
        timeoutMs: 3000,
        intervalMs: 50,
      },
    );
    console.log(`SIGKILLed shard answered again after ${Date.now() - killedAt} ms`);
    const after = await pollFor(
      master,
      s => s.report?.pid !== before.report!.pid && s.report?.state === 'running',
      'a new pid',
    );
    expect(after.report!.pid).toBeGreaterThan(0);
    expect(await readKey(port, 'k0')).toBe('0');
  });

  it('keeps serving while its agent is SIGKILLed; the restarted agent takes the shard over and supervises it', async () => {
    const port = bdb.endpoints[0]!.port;
    const before = await runningMaster();
    const agent = cluster.agent(Number(before.node_uid));
    await cluster.killAgent(agent);
    const killedAt = Date.now();
    expect(await readKey(port, 'k42')).toBe('42');

    await cluster.startAgent(agent);
    // The killed agent's last report still says running: wait for the new agent's own.
    const adopted = await pollFor(
      master,
      s => s.report?.state === 'running' && Date.parse(s.report.updated_at) > killedAt,
      'the restarted agent reported the shard',
    );
    expect(adopted.report!.pid).toBe(before.report!.pid);

    process.kill(adopted.report!.pid!, 'SIGKILL');
    await pollFor(
      () => readKey(port, 'k42').catch(() => null),
      value => value === '42',
      'the shard back',
      {
        // The adopted shard is not the agent's child: its death is seen on the next 1 s check.
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
  });

  it('stops every shard when its agents get SIGTERM: no redis-server is left', async () => {
    const pids = (await shards()).map(s => s.report!.pid!);
    for (const agent of cluster.agents) await cluster.stopAgent(agent, 'SIGTERM');
    for (const pid of pids) {
      await pollFor(
        () => Promise.resolve(isAlive(pid)),
        alive => !alive,
        `shard ${pid} stopped`,
      );
    }
    const left = await api(`${cluster.coordinator.url}${pathTo(routes.bdb, { uid: bdb.uid })}`, { credentials: admin });
    expect(left.status).toBe(200);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
