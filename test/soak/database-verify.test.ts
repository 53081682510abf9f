import { spawn } from 'node:child_process';
import { routes, type BdbObject } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, showCli } from '../helpers/cli-run.js';
import { installRediSearch, killShardsOf, privateDbPorts, shardsOf, waitForBdbStatus } from '../helpers/databases.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { api } from '../helpers/http.js';
import { pollFor } from '../helpers/poll.js';
import { portClosed } from '../helpers/processes.js';
import { REDIS_SERVER } from '../helpers/real-module.js';

const admin = FLEET_ADMIN;

describe('modfleet verify asks each database shard what it runs (real processes)', () => {
  let cluster: FleetCluster;
  let base: string;

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 1, coordinatorEnv: { MODFLEET_DB_PORTS: await privateDbPorts() } });
    base = cluster.coordinator.url;
    await installRediSearch(cluster);
  }, 120_000);

  afterAll(async () => {
    if (!cluster) return;
    await Promise.allSettled(cluster.agents.map(agent => cluster.stopAgent(agent, 'SIGTERM')));
    await killShardsOf(cluster.agents.map(agent => agent.dataDir));
    await cluster.stop();
  });

  it('verify asks every shard MODULE LIST and catches one started by hand without the module', async () => {
    const created = await api<BdbObject>(`${base}${routes.bdbs}`, {
      method: 'POST',
      credentials: admin,
      json: { name: 'verified', memory_size: 0, module_list: [{ module_name: 'ft', module_args: '' }] },
    });
    const bdb = await waitForBdbStatus(base, admin, created.body.uid, 'pending');
    expect(bdb.status).toBe('active');
    const env = {
      MODFLEET_URL: base,
      MODFLEET_USER: admin.email,
      MODFLEET_PASSWORD: admin.password,
    };
    const clean = await runCli(['verify', '--allow-http-nodes'], { env });
    expect(clean.code, showCli(clean)).toBe(0);
    expect(clean.stdout).toMatch(/Databases: \d+ active, \d+ shard\(s\), each running the modules its database says/);

    // The node's agent dies, its shard too, and someone starts a plain redis-server on the port.
    const step = (what: string) => console.log(`${new Date().toISOString()} ${what}`);
    step('verify clean');
    const [shard] = await shardsOf(base, admin, bdb.uid);
    const agent = cluster.agent(Number(shard!.node_uid));
    await cluster.killAgent(agent);
    step('agent killed');
    process.kill(shard!.report!.pid!, 'SIGKILL');
    await pollFor(
      () => portClosed(shard!.port),
      closed => closed,
      'the shard gone',
    );
    const byHand = spawn(REDIS_SERVER, ['--port', String(shard!.port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    try {
      await pollFor(
        () => portClosed(shard!.port),
        closed => !closed,
        'the hand-started server up',
      );
      step('hand-started server up');
      const caught = await runCli(['verify', '--allow-http-nodes'], { env });
      step('verify caught it');
      // 1, not drift's 3: the node's agent is stopped, and an unreachable node is a failed request.
      expect(caught.code, showCli(caught)).toBe(1);
      expect(caught.stdout).toContain(
        `bdb ${bdb.uid} shard ${shard!.uid} (master, node ${agent.uid}, 127.0.0.1:${shard!.port}): module_mismatch: runs [], the database says [ft@10200]`,
      );
    } finally {
      byHand.kill('SIGKILL');
    }
    await pollFor(
      () => portClosed(shard!.port),
      closed => closed,
      'the hand-started server gone',
    );
    await cluster.startAgent(agent);
    step('agent back');
    // A new pid: the report of the SIGKILLed shard says active until the restarted agent replaces it.
    await pollFor(
      () => shardsOf(base, admin, bdb.uid),
      ([s]) => s?.status === 'active' && s.report?.pid !== undefined && s.report.pid !== shard!.report!.pid,
      'the shard started again',
    );
    expect((await runCli(['verify', '--allow-http-nodes'], { env })).code).toBe(0);
  }, 120_000);
});
