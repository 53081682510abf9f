import { randomBytes } from 'node:crypto';
import type { SourceUse } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { startFleetCluster, type ActionObject, type FleetCluster } from '../helpers/fleet-cluster.js';
import { artifactBytesServed } from '../helpers/metrics.js';
import { advertiseNodeAt, startRelayProxy, type RelayProxy } from '../helpers/relay-proxy.js';

const NODES = 4;
/** Every node's uplink: a hop of one artifact takes about 1.5 s, so the two pushes overlap on every node. */
const UPLINK_BYTES_PER_SECOND = 4 * 1024 * 1024;

function artifact(name: string, mib: number): Promise<Buffer> {
  return buildArtifactZip({
    manifest: { module_name: name, version: 1, semantic_version: '0.0.1' },
    so: randomBytes(mib * 1024 * 1024),
  });
}

const sourcesOf = (action: ActionObject, uid: number): SourceUse[] =>
  action.additional_info.pending_ops[String(uid)]?.sources ?? [];

describe('two concurrent pushes keep their peers (real processes)', () => {
  let fleet: FleetCluster | undefined;
  const proxies: RelayProxy[] = [];

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map(proxy => proxy.close()));
    await fleet?.stop();
    fleet = undefined;
  });

  it('relays both artifacts down the planned chain: each node from its parent, only the head from the coordinator', async () => {
    fleet = await startFleetCluster({ nodes: NODES });
    for (let uid = 1; uid <= NODES; uid += 1) {
      const proxy = await startRelayProxy(fleet.agent(uid).url, { bytesPerSecond: UPLINK_BYTES_PER_SECOND });
      proxies.push(proxy);
      await advertiseNodeAt(fleet.prefix, uid, proxy.url);
    }
    const zips = await Promise.all([artifact('ConcurrentA', 6), artifact('ConcurrentB', 6)]);
    const servedBefore = await artifactBytesServed(fleet.coordinator.url);

    const pushed = await Promise.all(zips.map(zip => fleet!.push(zip)));
    const actions = await Promise.all(
      pushed.map(push => fleet!.waitForAction(push.body.action_uid!, { timeoutMs: 90_000 })),
    );

    for (const [index, action] of actions.entries()) {
      expect(action.status, `push ${index}`).toBe('completed');
      expect(sourcesOf(action, 1).map(use => use.source)).toEqual(['origin']);
      for (let uid = 2; uid <= NODES; uid += 1) {
        // Its planned parent served it, though that parent was busy with the other push when asked.
        expect(
          sourcesOf(action, uid).map(use => use.source),
          `push ${index}, node ${uid}`,
        ).toEqual([`node:${uid - 1}`]);
      }
    }
    // One copy of each artifact left the coordinator: no chain fell back to the origin.
    expect((await artifactBytesServed(fleet.coordinator.url)) - servedBefore).toBe(zips[0].length + zips[1].length);
  }, 180_000);
});
