import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { expectCleanVerify, expectStores, loadChecksOff, waitAllTerminal } from '../helpers/fault-checks.js';
import { pollFor, startFleetCluster, type FleetCluster, type FleetClusterOptions } from '../helpers/fleet-cluster.js';
import { killAllProcesses } from '../helpers/processes.js';
import { advertiseNodeAt, startRelayProxy, type RelayProxy } from '../helpers/relay-proxy.js';

const KiB = 1024;
const artifact = (name: string, soBytes = 8 * KiB) =>
  buildArtifactZip({
    manifest: { module_name: name, version: 1, semantic_version: '0.0.1' },
    so: randomBytes(soBytes),
  });
const randomDelay = (lowMs: number, highMs: number) => sleep(lowMs + Math.random() * (highMs - lowMs));

describe('faults: processes SIGKILLed mid-stream, corrupted and slow downloads', () => {
  let cluster: FleetCluster | undefined;
  let proxy: RelayProxy | undefined;

  async function start(options: FleetClusterOptions): Promise<FleetCluster> {
    cluster = await startFleetCluster(options);
    await loadChecksOff(cluster);
    return cluster;
  }

  afterEach(async () => {
    await proxy?.close();
    await cluster?.stop();
    await killAllProcesses();
    cluster = undefined;
    proxy = undefined;
  });

  it('completes every push and delete while an agent is SIGKILLed at random moments, leaving whole artifacts only', async () => {
    const fleet = await start({ nodes: 3 });
    const victim = fleet.agent(2);
    const accepted: string[] = [];
    const pushOf = new Map<number, string>();
    // Four SIGKILLs at random moments of the stream, each followed by a restart.
    const killer = (async () => {
      for (let kill = 0; kill < 4; kill += 1) {
        await randomDelay(200, 1500);
        await fleet.killAgent(victim);
        await randomDelay(0, 300);
        await fleet.startAgent(victim);
      }
    })();
    const killerDone = killer.then(
      () => undefined,
      (err: unknown) => err,
    );
    try {
      // Pushes Mod0..Mod7; at each odd step from 3 on, deletes the one pushed two steps before once
      // its install finished (a delete racing its own install fails that install: nothing left to fetch).
      for (let i = 0; i < 8; i += 1) {
        const pushed = await fleet.push(await artifact(`Mod${i}`, 64 * KiB));
        expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
        accepted.push(pushed.body.action_uid!);
        pushOf.set(i, pushed.body.action_uid!);
        if (i % 2 === 1 && i >= 3) {
          await fleet.waitForAction(pushOf.get(i - 2)!, { timeoutMs: 90_000 });
          const deleted = await fleet.api<{ action_uid: string }>(
            pathTo(routes.fleetArtifact, { moduleName: `Mod${i - 2}`, version: 1 }),
            { method: 'DELETE' },
          );
          expect(deleted.status, JSON.stringify(deleted.body)).toBe(202);
          accepted.push(deleted.body.action_uid);
        }
        await randomDelay(50, 250);
      }
    } finally {
      // Never leave the killer running into the next test.
      await killerDone;
    }
    const killerFailed = await killerDone;
    if (killerFailed instanceof Error) throw killerFailed;
    if (!victim.process?.isRunning()) await fleet.startAgent(victim);

    const actions = await waitAllTerminal(fleet, accepted);
    expect(victim.history.length).toBe(5);
    expect(
      actions.map(action => `${action.action_uid} ${action.status}`),
      JSON.stringify(actions.filter(a => a.status !== 'completed')),
    ).toEqual(accepted.map(uid => `${uid} completed`));
    const kept = ['Mod0@1', 'Mod2@1', 'Mod4@1', 'Mod6@1', 'Mod7@1'];
    await pollFor(
      () => fleet.localArtifacts(victim),
      listing => listing.length === kept.length,
      'the victim lists the kept artifacts',
    );
    await expectStores(fleet.agents, kept);
    for (const agent of fleet.agents) {
      const listing = await fleet.localArtifacts(agent);
      expect(listing.map(entry => `${entry.module_name}@${entry.version}`).sort(), agent.name).toEqual(kept);
    }
    await expectCleanVerify(fleet);
  }, 120_000);

  it('loses no accepted push when the coordinator is SIGKILLed mid-stream and restarted', async () => {
    const fleet = await start({ nodes: 2 });
    const accepted: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      if (i === 3) {
        await fleet.killCoordinator();
        await fleet.startCoordinator();
      }
      // Fire two at once so some are in flight (queued, dispatching) at the kill.
      const pushes = await Promise.all([fleet.push(await artifact(`C${i}a`)), fleet.push(await artifact(`C${i}b`))]);
      for (const pushed of pushes) {
        expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
        accepted.push(pushed.body.action_uid!);
      }
      if (i === 2) await fleet.killCoordinator().then(() => fleet.startCoordinator());
    }
    const actions = await waitAllTerminal(fleet, accepted);
    expect(
      actions.map(action => action.status),
      JSON.stringify(actions.filter(a => a.status !== 'completed')),
    ).toEqual(accepted.map(() => 'completed'));
    const names = Array.from({ length: 6 }, (_u, i) => [`C${i}a@1`, `C${i}b@1`]).flat();
    await fleet.waitForFleetView(
      view =>
        view.length === names.length && view.every(a => Object.values(a.nodes).every(n => n.state === 'installed')),
      'every accepted artifact installed on both nodes',
      { timeoutMs: 30_000 },
    );
    await expectStores(fleet.agents, names);
    await expectCleanVerify(fleet);
  }, 120_000);

  it('refuses a blob corrupted on the coordinator by its sha256 on every node, installing nothing', async () => {
    const fleet = await start({ nodes: 2 });
    for (const agent of fleet.agents) fleet.pauseAgent(agent);
    const pushed = await fleet.push(await artifact('Rotten', 32 * KiB));
    expect(pushed.status).toBe(202);
    const blobs = join(fleet.coordinator.dataDir, 'blobs');
    const [blob] = (await readdir(blobs)).filter(file => file.endsWith('.zip'));
    const bytes = await readFile(join(blobs, blob!));
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
    await writeFile(join(blobs, blob!), bytes);
    for (const agent of fleet.agents) fleet.resumeAgent(agent);

    const action = await fleet.waitForAction(pushed.body.action_uid!, { timeoutMs: 60_000 });
    expect(action.status).toBe('failed');
    for (const agent of fleet.agents) {
      const op = action.additional_info.pending_ops[String(agent.uid)];
      expect(op?.status, JSON.stringify(op)).toBe('failed');
      expect(op?.error ?? '').toMatch(/sha256/i);
    }
    await expectStores(fleet.agents, []);
    for (const agent of fleet.agents) expect(await fleet.localArtifacts(agent)).toEqual([]);
  }, 90_000);

  it('lets the other nodes finish while one agent downloads through a throttled link', async () => {
    const fleet = await start({ nodes: 3 });
    const slow = fleet.agent(3);
    // Node 3 pulls from node 2 (the chain's order): its bytes from there come through a 64 KiB/s link.
    const upstream = fleet.agent(2);
    proxy = await startRelayProxy(upstream.url, { bytesPerSecond: 64 * KiB });
    await advertiseNodeAt(fleet.prefix, upstream.uid, proxy.url);
    // 1 MiB: about 16 s for the slow node, well under a second for the others.
    const pushed = await fleet.push(await artifact('Sluggish', 1024 * KiB));
    expect(pushed.status).toBe(202);
    const uid = pushed.body.action_uid!;

    const othersDone = await fleet.waitForAction(uid, {
      timeoutMs: 30_000,
      intervalMs: 50,
      done: action => [1, 2].every(node => action.additional_info.pending_ops[String(node)]?.status === 'completed'),
    });
    expect(othersDone.status).toBe('running');
    expect(othersDone.additional_info.pending_ops[String(slow.uid)]?.status).toBe('running');

    const done = await fleet.waitForAction(uid, { timeoutMs: 90_000 });
    expect(done.status).toBe('completed');
    await expectStores(fleet.agents, ['Sluggish@1']);
    await expectCleanVerify(fleet);
  }, 150_000);
});
