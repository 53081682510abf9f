import { createHash, randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip, validManifest } from '../helpers/artifact-zip.js';
import {
  filesIn,
  pollFor,
  startFleetCluster,
  type FleetCluster,
  type FleetClusterOptions,
  type LocalListing,
} from '../helpers/fleet-cluster.js';
import { artifactForm } from '../helpers/http.js';
import { sha256File, writeLargeArtifact } from '../helpers/large-artifact.js';
import { FAST_TIMINGS, fastTimingsEnv } from '../helpers/timings.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function artifact(name: string, version = 1): Promise<Buffer> {
  return buildArtifactZip({
    manifest: { module_name: name, version, semantic_version: `0.0.${version}` },
    so: randomBytes(4096),
  });
}

const listing = (name: string, version: number): LocalListing => ({
  module_name: name,
  version,
  dependencies: validManifest().dependencies as string[],
});

describe('fleet distribution: crashes, outages and late joiners', () => {
  let cluster: FleetCluster | undefined;
  let scratch: string | undefined;

  /** On 100 ms heartbeats: a stopped node is down within about 1.5 s instead of 5. */
  async function start(options: FleetClusterOptions = {}): Promise<FleetCluster> {
    cluster = await startFleetCluster({
      ...options,
      coordinatorEnv: { ...fastTimingsEnv(), ...options.coordinatorEnv },
      agentEnv: { ...fastTimingsEnv(), ...options.agentEnv },
    });
    return cluster;
  }

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    if (scratch) await removeDir(scratch);
    scratch = undefined;
  });

  it('retries the download of an agent SIGKILLed mid-download once it restarts, leaving no partial file', async () => {
    const fleet = await start({ nodes: 2 });
    scratch = await makeTmpDir('modfleet-fleet-large');
    const large = await writeLargeArtifact(scratch, 'Large', 256 * MiB);
    const victim = fleet.agent(1);
    const form = new FormData();
    form.append('module', await openAsBlob(large.path, { type: 'application/zip' }), 'large.zip');

    const pushed = await fleet.push(form);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const actionUid = pushed.body.action_uid!;
    const partial = await pollFor(
      () => filesIn(victim.tmpDir),
      files => files.some(file => file.startsWith('upload-')),
      'node 1 downloading into its tmp dir',
      { timeoutMs: 30_000, intervalMs: 5 },
    );
    await fleet.killAgent(victim);

    // The crash left a partial download behind, and nothing half-installed.
    const leftover = (await filesIn(victim.tmpDir)).find(file => file.startsWith('upload-'));
    expect(leftover, `tmp after the kill: ${partial.join(', ')}`).toBeDefined();
    expect((await stat(join(victim.tmpDir, leftover!))).size).toBeLessThan((await stat(large.path)).size);
    expect(await filesIn(join(victim.dataDir, 'artifacts'))).toEqual([]);
    const whileDown = await fleet.action(actionUid);
    expect(whileDown.status).toBe('running');
    expect(['queued', 'running']).toContain(whileDown.additional_info.pending_ops['1']?.status);

    await fleet.startAgent(victim);
    const action = await fleet.waitForAction(actionUid, { timeoutMs: 200_000 });

    expect(action.status).toBe('completed');
    expect(action.additional_info.pending_ops['1']).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(action.additional_info.pending_ops['2']).toMatchObject({ status: 'completed' });
    // Retried: by a second attempt, or by the restarted process picking up the stalled job.
    const restartedDidIt = victim.history[1]!.logRecords().some(
      record => record.action_uid === actionUid && record.msg === 'fleet op done',
    );
    const attempts = action.additional_info.pending_ops['1']!.attempts;
    expect(
      attempts >= 2 || restartedDidIt,
      `attempts ${attempts}, restarted process finished it: ${restartedDidIt}`,
    ).toBe(true);
    expect(await filesIn(victim.tmpDir)).toEqual([]);
    expect(await fleet.localArtifacts(victim)).toEqual([listing('Large', 1)]);
    expect(await sha256File(join(victim.dataDir, 'artifacts', 'Large@1', 'module.zip'))).toBe(large.sha256);
    expect((await stat(join(victim.dataDir, 'artifacts', 'Large@1', 'module.zip'))).size).toBe(
      (await stat(large.path)).size,
    );
    const view = await fleet.waitForFleetView(
      v => v[0]?.nodes['1']?.state === 'installed' && v[0]?.nodes['2']?.state === 'installed',
      'the large artifact installed on both nodes',
    );
    expect(view[0]).toMatchObject({ sha256: large.sha256, nodes: { '1': { sha256: large.sha256 } } });
  }, 240_000);

  it('finishes an action after the coordinator is SIGKILLed right after answering 202 and restarted', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('Survivor');
    // Node 3 only starts its op once the coordinator is gone: its download has to wait for the restart.
    const late = fleet.agent(3);
    fleet.pauseAgent(late);

    const pushed = await fleet.push(zip);
    await fleet.killCoordinator();
    expect(pushed.status).toBe(202);
    fleet.resumeAgent(late);
    await pollFor(
      () => Promise.resolve(late.process!.logRecords()),
      records =>
        records.some(
          record =>
            `${record.jobId as string}`.startsWith(pushed.body.action_uid!) && String(record.msg).includes('failed'),
        ),
      'node 3 tried its op while the coordinator was down',
    );
    await fleet.startCoordinator();
    const action = await fleet.waitForAction(pushed.body.action_uid!, { timeoutMs: 45_000 });

    expect(action.status).toBe('completed');
    expect(Object.values(action.additional_info.pending_ops).map(op => op.status)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(action.additional_info.pending_ops['3']!.attempts).toBeGreaterThanOrEqual(2);
    for (const agent of fleet.agents) expect(await fleet.localArtifacts(agent)).toEqual([listing('Survivor', 1)]);
    await fleet.waitForFleetView(
      v => v.length === 1 && Object.values(v[0]!.nodes).every(n => n.state === 'installed' && n.sha256 === sha256(zip)),
      'installed everywhere after the coordinator restart',
    );
  });

  it('keeps the op of a down node queued and completes it when the node comes back with the same uid', async () => {
    const fleet = await start({ nodes: 3 });
    const absent = fleet.agent(3);
    const zip = await artifact('Patient');

    await fleet.stopAgent(absent, 'SIGTERM');
    const stoppedAt = Date.now();
    await pollFor(
      () => fleet.api<{ status: string }>(pathTo(routes.node, { uid: 3 })),
      res => res.body.status === 'down',
      'node 3 reported down',
      { timeoutMs: 10_000 },
    );
    expect(Date.now() - stoppedAt).toBeLessThan(FAST_TIMINGS.nodeDownAfterMs + 3_000);
    const listed = await fleet.nodes();
    expect(listed.map(node => [node.uid, node.status])).toEqual([
      [1, 'active'],
      [2, 'active'],
      [3, 'down'],
    ]);

    const pushed = await fleet.push(zip);
    expect(pushed.status).toBe(202);
    const actionUid = pushed.body.action_uid!;
    const partial = await fleet.waitForAction(actionUid, {
      done: a =>
        a.additional_info.pending_ops['1']?.status === 'completed' &&
        a.additional_info.pending_ops['2']?.status === 'completed',
    });
    await sleep(1_000);
    const stillWaiting = await fleet.action(actionUid);

    expect(partial.status).toBe('running');
    expect(stillWaiting.status).toBe('running');
    expect(stillWaiting.progress).toBeLessThan(100);
    expect(stillWaiting.additional_info.pending_ops['3']).toMatchObject({ status: 'queued' });
    const pendingView = await fleet.fleetView();
    expect(pendingView[0]?.nodes['3']).toMatchObject({ state: 'pending', action_uid: actionUid });

    await fleet.startAgent(absent);
    const action = await fleet.waitForAction(actionUid);

    expect(absent.uid).toBe(3);
    expect((await fleet.nodes()).map(node => [node.uid, node.status])).toEqual([
      [1, 'active'],
      [2, 'active'],
      [3, 'active'],
    ]);
    expect(action.status).toBe('completed');
    expect(action.additional_info.pending_ops['3']).toMatchObject({ status: 'completed', error: null });
    expect(await fleet.localArtifacts(absent)).toEqual([listing('Patient', 1)]);
  });

  it('gives a late joiner every artifact pushed to the whole fleet, and none pushed to a subset, without a call', async () => {
    const fleet = await start({ nodes: 3 });
    const everywhere = await artifact('ForAll');
    const everywhere2 = await artifact('ForAllToo', 4);
    const subset = await artifact('ForSome');
    const pushes = [
      await fleet.push(everywhere),
      await fleet.push(everywhere2),
      await fleet.push(subset, { nodes: '1,3' }),
    ];
    for (const push of pushes) {
      expect(push.status).toBe(202);
      expect((await fleet.waitForAction(push.body.action_uid!)).status).toBe('completed');
    }
    const actionsBefore = (await fleet.actions()).map(a => a.action_uid);

    const late = await fleet.addAgent();

    expect(late.uid).toBe(4);
    await pollFor(
      () => fleet.localArtifacts(late),
      list => list.length >= 2,
      'the late joiner holds the fleet-wide artifacts',
      { timeoutMs: 20_000 },
    );
    const welcome = (await fleet.actions()).filter(a => !actionsBefore.includes(a.action_uid));
    expect(welcome).toHaveLength(1);
    const welcomed = await fleet.waitForAction(welcome[0]!.action_uid);
    expect(welcomed.status).toBe('completed');
    expect(Object.keys(welcomed.additional_info.pending_ops)).toEqual(['4']);
    const byName = (a: LocalListing, b: LocalListing) => a.module_name.localeCompare(b.module_name);
    expect((await fleet.localArtifacts(late)).sort(byName)).toEqual(
      [listing('ForAll', 1), listing('ForAllToo', 4)].sort(byName),
    );
    const view = await fleet.waitForFleetView(
      v => v.find(a => a.module_name === 'ForAllToo')?.nodes['4']?.state === 'installed',
      'node 4 in the fleet view',
    );
    expect(view.find(a => a.module_name === 'ForAll')?.nodes['4']).toMatchObject({ state: 'installed' });
    expect(view.find(a => a.module_name === 'ForSome')?.nodes['4']).toEqual({ state: 'not_targeted' });
  });

  it('unblocks an action waiting on a stopped node once that node is removed, cancelling its op', async () => {
    const fleet = await start({ nodes: 3 });
    const gone = fleet.agent(3);
    await fleet.stopAgent(gone, 'SIGTERM');
    const pushed = await fleet.push(await artifact('Unblocked'));
    const actionUid = pushed.body.action_uid!;
    await fleet.waitForAction(actionUid, {
      done: a =>
        a.additional_info.pending_ops['1']?.status === 'completed' &&
        a.additional_info.pending_ops['2']?.status === 'completed',
    });
    expect((await fleet.action(actionUid)).status).toBe('running');

    const removed = await fleet.api(pathTo(routes.node, { uid: 3 }), { method: 'DELETE' });

    expect(removed.status).toBe(200);
    const action = await fleet.waitForAction(actionUid, { timeoutMs: 10_000 });
    expect(action.status).toBe('completed');
    expect(action.additional_info.pending_ops['3']?.status).toBe('cancelled');
    expect(action.additional_info.pending_ops['1']?.status).toBe('completed');
    expect((await fleet.nodes()).map(node => node.uid)).toEqual([1, 2]);
    expect((await fleet.api(pathTo(routes.node, { uid: 3 }))).status).toBe(404);
    expect((await fleet.api(pathTo(routes.node, { uid: 3 }), { method: 'DELETE' })).status).toBe(404);
    const view = await fleet.fleetView();
    expect(Object.keys(view[0]!.nodes)).toEqual(['1', '2']);
  });

  it('reports drift as mismatch, fails a re-push on the drifted node, and repairs it with sync', async () => {
    const fleet = await start({ nodes: 3 });
    const fleetZip = await artifact('Drifty', 2);
    const localZip = await artifact('Drifty', 2);
    const pushed = await fleet.push(fleetZip);
    expect((await fleet.waitForAction(pushed.body.action_uid!)).status).toBe('completed');
    const drifted = fleet.agent(2);

    const deleted = await fleet.agentApi(drifted, pathTo(routes.localArtifact, { moduleName: 'Drifty', version: 2 }), {
      method: 'DELETE',
    });
    const uploaded = await fleet.agentApi(drifted, routes.localArtifacts, {
      method: 'POST',
      form: artifactForm(localZip),
    });

    expect(deleted.status).toBe(200);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
    const driftView = await fleet.waitForFleetView(
      v => v[0]?.nodes['2']?.state === 'mismatch',
      'node 2 reported as mismatch',
    );
    expect(driftView).toHaveLength(1);
    expect(driftView[0]).toMatchObject({ in_fleet: true, sha256: sha256(fleetZip) });
    expect(driftView[0]!.nodes['2']).toMatchObject({ state: 'mismatch', sha256: sha256(localZip) });
    expect(driftView[0]!.nodes['1']).toMatchObject({ state: 'installed', sha256: sha256(fleetZip) });

    const repushed = await fleet.push(fleetZip);
    expect(repushed.status).toBe(202);
    const repush = await fleet.waitForAction(repushed.body.action_uid!);

    expect(repush.status).toBe('failed');
    expect(repush.additional_info.pending_ops['2']?.status).toBe('failed');
    expect(repush.additional_info.pending_ops['2']?.error).toMatch(/drift|sync/i);
    expect(repush.additional_info.pending_ops['1']?.status).toBe('completed');
    expect(repush.additional_info.pending_ops['3']?.status).toBe('completed');
    const stillDrifted = await fleet.fleetView();
    expect(stillDrifted[0]!.nodes['2']).toMatchObject({ state: 'mismatch', sha256: sha256(localZip) });
    expect(await sha256File(join(drifted.dataDir, 'artifacts', 'Drifty@2', 'module.zip'))).toBe(sha256(localZip));

    const synced = await fleet.api<{ action_uid: string }>(routes.fleetSync, { method: 'POST' });

    expect(synced.status).toBe(202);
    const sync = await fleet.waitForAction(synced.body.action_uid);
    expect(sync.status).toBe('completed');
    expect(Object.values(sync.additional_info.pending_ops).every(op => op.status === 'completed')).toBe(true);
    const repaired = await fleet.waitForFleetView(
      v => v.length === 1 && Object.values(v[0]!.nodes).every(n => n.state === 'installed'),
      'installed everywhere after sync',
    );
    for (const uid of ['1', '2', '3']) expect(repaired[0]!.nodes[uid]).toMatchObject({ sha256: sha256(fleetZip) });
    expect(await readFile(join(drifted.dataDir, 'artifacts', 'Drifty@2', 'module.zip'))).toEqual(fleetZip);
  });
});
