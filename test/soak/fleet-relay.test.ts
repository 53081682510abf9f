import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pieceSizeFor, SIGNATURE_HEADER, signRequest, type SourceUse } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import {
  FLEET_SECRET,
  pollFor,
  startFleetCluster,
  type ActionObject,
  type FleetCluster,
  type FleetClusterOptions,
} from '../helpers/fleet-cluster.js';
import { artifactBytesServed } from '../helpers/metrics.js';
import { advertiseNodeAt, startRelayProxy, type RelayProxy } from '../helpers/relay-proxy.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A zip of about `mib` MiB (random .so, stored uncompressed in effect), so it spans many pieces. */
function artifact(name: string, mib: number): Promise<Buffer> {
  return buildArtifactZip({
    manifest: { module_name: name, version: 1, semantic_version: '0.0.1' },
    so: randomBytes(Math.round(mib * 1024 * 1024)),
  });
}

type Op = ActionObject['additional_info']['pending_ops'][string];
const sourcesOf = (op: Op | undefined): SourceUse[] => op?.sources ?? [];
const total = (sources: SourceUse[]) => sources.reduce((sum, s) => sum + s.bytes, 0);

const coordinatorBytesServed = (fleet: FleetCluster) => artifactBytesServed(fleet.coordinator.url);

/** The action that installed the fleet's artifacts on a node that joined late, once it completed. */
async function welcomeOf(fleet: FleetCluster, joinerUid: number): Promise<ActionObject> {
  const welcome = await pollFor(
    async () => (await fleet.actions()).find(a => a.additional_info.object_uid === String(joinerUid)),
    a => a?.status === 'completed',
    'the late joiner installed the fleet artifact',
    { timeoutMs: 30_000 },
  );
  return welcome!;
}

const logged = (fleet: FleetCluster, uid: number, msg: RegExp) =>
  fleet
    .agent(uid)
    .history.flatMap(p => p.logRecords())
    .filter(r => msg.test(String(r.msg)));

describe('peer relay: nodes fill each other from verified pieces (real processes)', () => {
  let cluster: FleetCluster | undefined;
  const proxies: RelayProxy[] = [];

  async function start(options?: FleetClusterOptions): Promise<FleetCluster> {
    cluster = await startFleetCluster(options);
    return cluster;
  }

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map(p => p.close()));
    await cluster?.stop();
    cluster = undefined;
  });

  it('pushes to 10 agents where every agent but the first fetched from a peer, the coordinator serving one copy', async () => {
    const fleet = await start({ nodes: 10 });
    const zip = await artifact('Relayed', 4);
    const servedBefore = await coordinatorBytesServed(fleet);

    const pushed = await fleet.push(zip);
    const action = await fleet.waitForAction(pushed.body.action_uid!, { timeoutMs: 60_000 });

    expect(action.status).toBe('completed');
    const ops = action.additional_info.pending_ops;
    expect(Object.keys(ops)).toHaveLength(10);
    expect(sourcesOf(ops['1'])).toMatchObject([{ source: 'origin', bytes: zip.length }]);
    for (let uid = 2; uid <= 10; uid += 1) {
      const sources = sourcesOf(ops[String(uid)]);
      expect(
        sources.every(s => /^node:\d+$/.test(s.source)),
        `node ${uid}: ${JSON.stringify(sources)}`,
      ).toBe(true);
      expect(total(sources), `node ${uid}`).toBe(zip.length);
    }
    expect((await coordinatorBytesServed(fleet)) - servedBefore).toBe(zip.length);
    const view = await fleet.waitForFleetView(
      v => Object.values(v[0]?.nodes ?? {}).filter(n => n.state === 'installed').length === 10,
      'installed on all 10 nodes',
    );
    expect(view[0]?.sha256).toBe(sha256(zip));
  }, 180_000); // ten agents register (each a CSR) before the push: slow on a loaded 2-core machine

  it('completes a downstream from another source, from its own offset, when its relay is SIGKILLed mid-transfer', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('KilledRelay', 6);
    // Slow links out of nodes 1 and 2, so node 3 is still pulling from node 2 when it dies.
    for (const uid of [1, 2]) {
      const proxy = await startRelayProxy(fleet.agent(uid).url, { bytesPerSecond: 2 * 1024 * 1024 });
      proxies.push(proxy);
      await advertiseNodeAt(fleet.prefix, uid, proxy.url);
    }

    const pushed = await fleet.push(zip);
    const uid = pushed.body.action_uid!;
    await pollFor(
      () => fleet.action(uid),
      a => (a.additional_info.pending_ops['3']?.progress ?? 0) >= 15,
      'node 3 part-way through',
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    await fleet.killAgent(fleet.agent(2));
    const node3 = await pollFor(
      () => fleet.action(uid),
      a => a.additional_info.pending_ops['3']?.status === 'completed',
      'node 3 completed',
      { timeoutMs: 30_000 },
    );

    const sources = sourcesOf(node3.additional_info.pending_ops['3']);
    expect(sources.map(s => s.source)).toEqual(['node:2', 'node:1']);
    expect(sources[0]!.bytes).toBeGreaterThan(0);
    expect(sources[0]!.bytes % pieceSizeFor(zip.length)).toBe(0);
    expect(total(sources)).toBe(zip.length);
    expect(logged(fleet, 3, /resuming from the current piece/)).not.toHaveLength(0);
    await fleet.startAgent(fleet.agent(2));
    expect((await fleet.waitForAction(uid, { timeoutMs: 60_000 })).status).toBe('completed');
    const view = await fleet.waitForFleetView(
      v => Object.values(v[0]?.nodes ?? {}).every(n => n.state === 'installed'),
      'installed on every node',
    );
    expect(view[0]?.sha256).toBe(sha256(zip));
  });

  it('refuses a piece corrupted on the way and fetches it again from the next source', async () => {
    const fleet = await start({ nodes: 2 });
    const zip = await artifact('Corrupted', 2);
    const proxy = await startRelayProxy(fleet.agent(1).url);
    proxies.push(proxy);
    await advertiseNodeAt(fleet.prefix, 1, proxy.url);
    const pieceSize = pieceSizeFor(zip.length);
    proxy.corruptOnce(3 * pieceSize + 100);

    const pushed = await fleet.push(zip);
    const action = await fleet.waitForAction(pushed.body.action_uid!);

    expect(action.status).toBe('completed');
    expect(sourcesOf(action.additional_info.pending_ops['2'])).toMatchObject([
      { source: 'node:1', bytes: 3 * pieceSize },
      { source: 'origin', bytes: zip.length - 3 * pieceSize },
    ]);
    expect(logged(fleet, 2, /refused a piece/)).toHaveLength(1);
    const view = await fleet.waitForFleetView(
      v => Object.values(v[0]?.nodes ?? {}).every(n => n.state === 'installed'),
      'installed on both nodes',
    );
    expect(view[0]?.nodes['2']).toMatchObject({ state: 'installed', sha256: sha256(zip) });
  });

  it('never serves a copy that drifted on disk: a late joiner fetches from another holder', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('Drifted', 2);
    const pushed = await fleet.push(zip);
    expect((await fleet.waitForAction(pushed.body.action_uid!)).status).toBe('completed');
    const held = await open(join(fleet.agent(1).dataDir, 'artifacts', 'Drifted@1', 'module.zip'), 'r+');
    await held.write(Buffer.from('drift'), 0, 5, 4096);
    await held.close();

    const joiner = await fleet.addAgent();
    const welcome = await welcomeOf(fleet, joiner.uid);

    expect(sourcesOf(welcome.additional_info.pending_ops[String(joiner.uid)])).toMatchObject([
      { source: 'node:2', bytes: zip.length },
    ]);
    expect(logged(fleet, 1, /does not match its sha256: not serving it/)).toHaveLength(1);
    const path = `/internal/peer/blobs/${sha256(zip)}`;
    const direct = await fetch(`${fleet.agent(1).url}${path}`, {
      headers: { [SIGNATURE_HEADER]: signRequest(FLEET_SECRET, 'GET', path) },
    });
    expect(direct.status).toBe(404);
    expect(await direct.json()).toMatchObject({ error_code: 'blob_not_held' });
  });

  it('fills a late joiner from peers without the coordinator sending a byte, and keeps the peer route closed to unsigned requests', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('LateJoiner', 2);
    const pushed = await fleet.push(zip);
    expect((await fleet.waitForAction(pushed.body.action_uid!)).status).toBe('completed');
    const servedBefore = await coordinatorBytesServed(fleet);

    const joiner = await fleet.addAgent();
    const welcome = await welcomeOf(fleet, joiner.uid);

    const sources = sourcesOf(welcome.additional_info.pending_ops[String(joiner.uid)]);
    expect(
      sources.every(s => /^node:[123]$/.test(s.source)),
      JSON.stringify(sources),
    ).toBe(true);
    expect(total(sources)).toBe(zip.length);
    expect((await coordinatorBytesServed(fleet)) - servedBefore).toBe(0);
    const path = `/internal/peer/blobs/${sha256(zip)}`;
    const unsigned = await fetch(`${joiner.url}${path}`);
    expect(unsigned.status).toBe(401);
    const forged = await fetch(`${joiner.url}${path}`, {
      headers: { [SIGNATURE_HEADER]: signRequest('not-the-cluster-secret-0123456789', 'GET', path) },
    });
    expect(forged.status).toBe(401);
    const ranged = await fetch(`${joiner.url}${path}`, {
      headers: { [SIGNATURE_HEADER]: signRequest(FLEET_SECRET, 'GET', path), range: 'bytes=1000-1999' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${zip.length}`);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(zip.subarray(1000, 2000));
  });
});
