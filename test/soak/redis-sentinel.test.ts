import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { pathTo, routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { writeLargeArtifact } from '../helpers/large-artifact.js';
import { FLEET_ADMIN, filesIn, pollFor, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import type { ApiResponse } from '../helpers/http.js';
import { killAllProcesses, runToExit } from '../helpers/processes.js';
import { startSentinelSet, type SentinelSet } from '../helpers/redis-sentinel.js';
import { expectRsError } from '../helpers/rs-error.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const MiB = 1024 * 1024;

/** A request that does not answer within this long counts as hung, the failure this suite guards against. */
const HANG_MS = 10_000;

function answersInTime<T>(request: Promise<ApiResponse<T>>, what: string): Promise<ApiResponse<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still unanswered after ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([request, hung]).finally(() => clearTimeout(timer));
}

describe('modfleet on Redis Sentinel: a master, a replica, three Sentinels, a coordinator and two agents', () => {
  let set: SentinelSet;
  let fleet: FleetCluster;
  let scratch: string;

  beforeAll(async () => {
    set = await startSentinelSet();
    scratch = await makeTmpDir('modfleet-sentinel-artifacts');
    fleet = await startFleetCluster({ nodes: 2, coordinatorEnv: set.env, agentEnv: set.env });
  });
  afterAll(async () => {
    await fleet?.stop();
    await set?.stop();
    await killAllProcesses();
    if (scratch) await removeDir(scratch);
  });

  /** Every service answers /healthz 200 within 30 s of `masterDied`: it found the promoted master by itself. */
  async function everyServiceReconnected(masterDied: number): Promise<void> {
    for (const url of [fleet.coordinator.url, ...fleet.agents.map(agent => agent.url)]) {
      await pollFor(
        // The body is kept for the failure message: it says why a service is not healthy.
        () =>
          fetch(`${url}${routes.healthz}`, { signal: AbortSignal.timeout(HANG_MS) }).then(
            async res => `${res.status} ${await res.text()}`,
          ),
        answer => answer.startsWith('200 '),
        `${url} healthy on the promoted master`,
        { timeoutMs: Math.max(0, masterDied + 30_000 - Date.now()), intervalMs: 200 },
      );
    }
  }

  it('refuses a push with 503 while no replica confirms it, and accepts it again once one does', async () => {
    await set.awaitReplicas(1);
    const master = await set.master();
    const frozen = set.servers.find(slot => slot !== master)!;
    frozen.process!.child.kill('SIGSTOP');
    const zip = await buildArtifactZip({ manifest: { module_name: 'Unconfirmed', version: 1 }, so: randomBytes(4096) });

    const refused = await fleet.push(zip);

    frozen.process!.child.kill('SIGCONT');
    expect(expectRsError(refused, 503, 'replica_not_confirmed').description).toMatch(/send the request again/);
    await set.awaitReplicas(1);
    const again = await fleet.push(zip);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect((await fleet.waitForAction(again.body.action_uid!)).status).toBe('completed');
  }, 120_000);

  it('completes a push queued while its agents were paused, across a failover, answering 503 while no master is known', async () => {
    await set.awaitReplicas(1);
    for (const agent of fleet.agents) fleet.pauseAgent(agent);
    const pushed = await fleet.push(
      await buildArtifactZip({ manifest: { module_name: 'Queued', version: 1 }, so: randomBytes(4096) }),
    );
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const actionUid = pushed.body.action_uid!;

    // The master dies and its replica is frozen: no server can be promoted for now.
    const old = await set.master();
    const replica = set.servers.find(slot => slot !== old)!;
    replica.process!.child.kill('SIGSTOP');
    await set.kill(old);

    const read = await pollFor(
      () => answersInTime(fleet.api(pathTo(routes.action, { uid: actionUid })), 'GET the action without a master'),
      res => res.status !== 200,
      'the coordinator noticing the master is gone',
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    expectRsError(read, 503, 'redis_unavailable');
    const refused = await answersInTime(
      fleet.push(await buildArtifactZip({ manifest: { module_name: 'Refused', version: 1 } })),
      'a push without a master',
    );
    expectRsError(refused, 503, 'redis_unavailable');

    // From here a replica can be promoted: the 30 s count starts.
    replica.process!.child.kill('SIGCONT');
    const promotable = Date.now();
    await set.awaitFailover(old);
    for (const agent of fleet.agents) fleet.resumeAgent(agent);
    await everyServiceReconnected(promotable);

    const action = await fleet.waitForAction(actionUid, { timeoutMs: 60_000 });
    expect(action.status).toBe('completed');
    expect(Object.values(action.additional_info.pending_ops).map(op => op.status)).toEqual(['completed', 'completed']);
    // Reconnected, not restarted: every service is still the process it was.
    expect([fleet.coordinator, ...fleet.agents].map(service => service.history.length)).toEqual([1, 1, 1]);
    expect(fleet.coordinator.process!.isRunning()).toBe(true);
  }, 180_000);

  it('completes a push whose master dies mid-download, deletes afterwards, and verify finds the fleet clean', async () => {
    // The master killed before comes back empty, as a replica to promote this time.
    const dead = set.servers.find(slot => slot.process === undefined);
    if (dead) await set.restart(dead);
    await set.awaitReplicas(1);
    const { path: large } = await writeLargeArtifact(scratch, 'Large', 128 * MiB);
    const form = new FormData();
    form.append('module', await openAsBlob(large, { type: 'application/zip' }), 'large.zip');

    const pushed = await fleet.push(form);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const downloader = fleet.agents[0]!;
    await pollFor(
      () => filesIn(downloader.tmpDir),
      files => files.some(file => file.startsWith('upload-')),
      `${downloader.name} downloading into its tmp dir`,
      { timeoutMs: 60_000, intervalMs: 5 },
    );
    const old = await set.master();
    const died = Date.now();
    await set.kill(old);
    await set.awaitFailover(old);
    await everyServiceReconnected(died);

    const action = await fleet.waitForAction(pushed.body.action_uid!, { timeoutMs: 120_000 });
    expect(action.status).toBe('completed');
    expect(Object.values(action.additional_info.pending_ops).map(op => op.status)).toEqual(['completed', 'completed']);

    const deleted = await fleet.api<{ action_uid: string }>(
      pathTo(routes.fleetArtifact, { moduleName: 'Queued', version: 1 }),
      { method: 'DELETE' },
    );
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(202);
    expect((await fleet.waitForAction(deleted.body.action_uid, { timeoutMs: 60_000 })).status).toBe('completed');

    const verify = await runToExit(
      ['verify', '--allow-http-nodes'],
      {
        MODFLEET_URL: fleet.coordinator.url,
        MODFLEET_USER: FLEET_ADMIN.email,
        MODFLEET_PASSWORD: FLEET_ADMIN.password,
      },
      60_000,
    );
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0);
    for (const agent of fleet.agents) {
      expect((await fleet.localArtifacts(agent)).map(artifact => artifact.module_name).sort()).toEqual([
        'Large',
        'Unconfirmed',
      ]);
    }
  }, 240_000);
});
