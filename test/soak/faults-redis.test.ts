import { randomBytes } from 'node:crypto';
import { routes, type HealthAnswer } from '@modfleet/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { expectCleanVerify, expectStores, loadChecksOff, waitAllTerminal } from '../helpers/fault-checks.js';
import { FLEET_ADMIN, FLEET_SECRET, pollFor, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { api } from '../helpers/http.js';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.js';
import { killAllProcesses } from '../helpers/processes.js';
import { AGENT_PROBES, COORDINATOR_PROBES, sampleRoutes, type SampledAnswer } from '../helpers/route-sampler.js';

const artifact = (name: string) =>
  buildArtifactZip({ manifest: { module_name: name, version: 1, semantic_version: '0.0.1' }, so: randomBytes(8192) });

/** What a client must read while Redis is away: a 503 RS error, not a hang, not a 500, not a cached copy. */
function notRsUnavailable(answers: SampledAnswer[]): SampledAnswer[] {
  return answers.filter(answer => {
    const body = answer.body as { error_code?: unknown; description?: unknown } | undefined;
    return !(answer.status === 503 && typeof body?.error_code === 'string' && typeof body.description === 'string');
  });
}

const health = (url: string) => api<HealthAnswer>(`${url}${routes.healthz}`);

describe('faults: the cluster configuration store (Redis) restarts', () => {
  let redis: OwnRedis;
  let cluster: FleetCluster | undefined;

  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    // killAllProcesses ends this file's redis-server too: the next test gets it back, its data kept.
    await killAllProcesses();
    if (!redis.process?.isRunning()) await redis.start();
  });

  async function start(): Promise<FleetCluster> {
    const env = { REDIS_URL: redis.url };
    cluster = await startFleetCluster({ nodes: 2, coordinatorEnv: env, agentEnv: env });
    await loadChecksOff(cluster);
    return cluster;
  }

  it('answers 503 on every route while Redis is down, then reconnects by itself after an AOF restart, losing no action', async () => {
    const fleet = await start();
    const before = await fleet.push(await artifact('BeforeOutage'));
    expect(before.status).toBe(202);
    expect((await fleet.waitForAction(before.body.action_uid!)).status).toBe('completed');
    const queued = await fleet.push(await artifact('AtOutage'));
    expect(queued.status).toBe(202);

    await redis.kill();
    const options = { credentials: FLEET_ADMIN, clusterSecret: FLEET_SECRET, deadlineMs: 10_000 };
    const coordinatorAnswers = await sampleRoutes(fleet.coordinator.url, COORDINATOR_PROBES, options);
    // The cluster settings too, on the coordinator and forwarded by a node: no answer from a cache.
    const agentAnswers = await sampleRoutes(
      fleet.agent(1).url,
      [...AGENT_PROBES, { method: 'GET', path: routes.cluster }],
      options,
    );
    expect(notRsUnavailable(coordinatorAnswers), 'coordinator routes').toEqual([]);
    expect(notRsUnavailable(agentAnswers), 'agent routes').toEqual([]);
    const clusterReads = [...coordinatorAnswers, ...agentAnswers].filter(
      answer => answer.route === `GET ${routes.cluster}`,
    );
    expect(
      clusterReads.map(answer => [answer.status, (answer.body as { error_code?: unknown } | undefined)?.error_code]),
    ).toEqual([
      [503, 'redis_unavailable'],
      [503, 'redis_unavailable'],
    ]);
    for (const url of [fleet.coordinator.url, fleet.agent(1).url]) {
      expect(await health(url)).toMatchObject({ status: 503, body: { status: 'redis_unavailable' } });
    }

    await redis.start();
    for (const url of [fleet.coordinator.url, ...fleet.agents.map(agent => agent.url)]) {
      await pollFor(
        () => health(url),
        res => res.status === 200,
        `${url} healthy again`,
        { timeoutMs: 30_000 },
      );
    }
    const after = await fleet.push(await artifact('AfterOutage'));
    expect(after.status, JSON.stringify(after.body)).toBe(202);
    const actions = await waitAllTerminal(fleet, [
      before.body.action_uid!,
      queued.body.action_uid!,
      after.body.action_uid!,
    ]);
    expect(actions.map(action => action.status)).toEqual(['completed', 'completed', 'completed']);
    // Nobody restarted: the same processes reconnected.
    expect([fleet.coordinator, ...fleet.agents].map(slot => slot.history.length)).toEqual([1, 1, 1]);
    await expectStores(fleet.agents, ['AfterOutage@1', 'AtOutage@1', 'BeforeOutage@1']);
    await expectCleanVerify(fleet);
  }, 120_000);

  it('notices a Redis that came back empty: says so, answers 503 on /healthz, and the coordinator re-creates the admin', async () => {
    const fleet = await start();
    const zip = await artifact('Remembered');
    const pushed = await fleet.push(zip);
    expect((await fleet.waitForAction(pushed.body.action_uid!)).status).toBe('completed');
    const agent = fleet.agent(1);

    // Without a coordinator to re-create it, the agents stay unhealthy and say why.
    await fleet.stopCoordinator();
    await redis.kill();
    await redis.start({ empty: true });
    const lost = await pollFor(
      () => health(agent.url),
      res => res.body.status === 'ccs_lost',
      'agent /healthz says the CCS is lost',
      { timeoutMs: 20_000 },
    );
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({ status: 'ccs_lost', reason: expect.stringMatching(/lost its data/) as string });
    await agent.process!.waitForOutput(/CCS LOST/, 10_000);

    // A coordinator started on the empty Redis re-creates the CCS: agents rejoin under their uids.
    await fleet.startCoordinator();
    await fleet.waitForNodes([1, 2], { timeoutMs: 30_000 });
    await pollFor(
      () => health(agent.url),
      res => res.status === 200,
      'agent healthy again',
      { timeoutMs: 20_000 },
    );
    expect((await fleet.api(routes.users)).status).toBe(200);

    // Lost again under a running coordinator: it notices by itself, logs it, re-creates the admin at once.
    await redis.kill();
    await redis.start({ empty: true });
    await fleet.coordinator.process!.waitForOutput(/CCS LOST[\s\S]*CCS re-created/, 20_000);
    await pollFor(
      () => fleet.api(routes.users),
      res => res.status === 200,
      'the admin logs in again',
      {
        timeoutMs: 20_000,
      },
    );
    await fleet.waitForNodes([1, 2], { timeoutMs: 30_000 });
    // Registered three times each: at start, after each loss.
    for (const slot of fleet.agents) {
      await pollFor(
        () => Promise.resolve(slot.process!.logRecords().filter(r => /joined the cluster/.test(String(r.msg))).length),
        joins => joins >= 3,
        `${slot.name} registered again after each loss`,
        { timeoutMs: 20_000 },
      );
      expect(slot.process!.output()).not.toMatch(/this node was removed from the cluster/);
    }

    // The fleet's desired state went with the data: pushing again makes the nodes whole in its eyes.
    const again = await fleet.push(zip);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect((await fleet.waitForAction(again.body.action_uid!)).status).toBe('completed');
    await expectStores(fleet.agents, ['Remembered@1']);
    await expectCleanVerify(fleet);
  }, 150_000);
});
