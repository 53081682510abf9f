import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathTo, routes } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip, validManifest } from '../helpers/artifact-zip.js';
import {
  filesIn,
  startFleetCluster,
  type ActionObject,
  type FleetArtifactView,
  type FleetCluster,
  type FleetClusterOptions,
  type LocalListing,
} from '../helpers/fleet-cluster.js';
import { artifactForm, type Credentials } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A small RS artifact; `name`/`version` vary it, and every call has a fresh random .so. */
function artifact(name = 'FleetModule', version = 1, soBytes = 4096): Promise<Buffer> {
  return buildArtifactZip({
    manifest: { module_name: name, version, semantic_version: `0.0.${version}` },
    so: randomBytes(soBytes),
  });
}

const listing = (name: string, version: number): LocalListing => ({
  module_name: name,
  version,
  dependencies: validManifest().dependencies as string[],
});

describe('fleet distribution: pushes and deletes across real processes', () => {
  let cluster: FleetCluster | undefined;

  async function start(options?: FleetClusterOptions): Promise<FleetCluster> {
    cluster = await startFleetCluster(options);
    return cluster;
  }

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('installs a pushed artifact on every node and reports a completed RS v2 action', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('Everywhere', 7);
    const before = Math.floor(Date.now() / 1000);

    const pushed = await fleet.push(zip);

    expect(pushed.status).toBe(202);
    expect(pushed.body).toEqual({ action_uid: expect.any(String) as string });
    const action = await fleet.waitForAction(pushed.body.action_uid!);
    expect(action).toMatchObject({
      action_uid: pushed.body.action_uid,
      action_type: 'task',
      name: expect.any(String) as string,
      status: 'completed',
      progress: 100,
      additional_info: {
        description: expect.any(String) as string,
        object_type: expect.any(String) as string,
        object_uid: expect.stringContaining('Everywhere') as string,
      },
    });
    expect(action.creation_time).toBeGreaterThanOrEqual(before - 1);
    expect(action.creation_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(Object.keys(action.additional_info.pending_ops).sort()).toEqual(['1', '2', '3']);
    for (const op of Object.values(action.additional_info.pending_ops)) {
      expect(op).toEqual({
        status: 'completed',
        progress: 100,
        attempts: expect.any(Number) as number,
        error: null,
        sources: [
          {
            source: expect.stringMatching(/^(origin|node:\d+)$/) as string,
            bytes: zip.length,
            first_byte_at: expect.any(String) as string,
            last_byte_at: expect.any(String) as string,
          },
        ],
        // Random bytes are no module: each node's load check fails, and under warn (the default) installs.
        load_check: expect.objectContaining({ status: 'failed' }) as unknown,
      });
      expect(op.attempts).toBeGreaterThanOrEqual(1);
    }
    for (const agent of fleet.agents) {
      expect(await fleet.localArtifacts(agent), `local listing of node ${agent.uid}`).toEqual([
        listing('Everywhere', 7),
      ]);
    }
    const view = await fleet.waitForFleetView(
      v => v.length === 1 && Object.values(v[0]!.nodes).every(n => n.state === 'installed'),
      'installed on every node',
    );
    expect(view).toEqual([
      {
        module_name: 'Everywhere',
        version: 7,
        in_fleet: true,
        sha256: sha256(zip),
        size: zip.length,
        target_nodes: 'all',
        nodes: Object.fromEntries(
          [1, 2, 3].map(uid => [
            String(uid),
            expect.objectContaining({ state: 'installed', sha256: sha256(zip) }) as unknown,
          ]),
        ),
      },
    ]);
    const listed = await fleet.actions();
    expect(listed.map(a => a.action_uid)).toContain(pushed.body.action_uid);
    expect(listed.find(a => a.action_uid === pushed.body.action_uid)).toEqual(action);
    expect((await fleet.api(pathTo(routes.action, { uid: 'no-such-action' }))).status).toBe(404);
  });

  it('lists every registered agent under /v1/nodes with its uid, address and status', async () => {
    const fleet = await start({ nodes: 3 });

    const nodes = await fleet.nodes();
    const one = await fleet.api<Record<string, unknown>>(pathTo(routes.node, { uid: 2 }));
    const missing = await fleet.api<Record<string, unknown>>(pathTo(routes.node, { uid: 99 }));

    expect(nodes.map(node => ({ uid: node.uid, addr: node.addr, status: node.status }))).toEqual(
      fleet.agents.map(agent => ({ uid: agent.uid, addr: agent.url, status: 'active' })),
    );
    expect(fleet.agents.map(agent => agent.uid)).toEqual([1, 2, 3]);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ uid: 2, addr: fleet.agent(2).url, status: 'active' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      error_code: expect.any(String) as string,
      description: expect.any(String) as string,
    });
  });

  it('installs on the listed nodes only when the push names nodes=1,3', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('Subset', 2);

    const pushed = await fleet.push(zip, { nodes: '1,3' });

    expect(pushed.status).toBe(202);
    const action = await fleet.waitForAction(pushed.body.action_uid!);
    expect(action.status).toBe('completed');
    expect(Object.keys(action.additional_info.pending_ops).sort()).toEqual(['1', '3']);
    expect(await fleet.localArtifacts(fleet.agent(1))).toEqual([listing('Subset', 2)]);
    expect(await fleet.localArtifacts(fleet.agent(3))).toEqual([listing('Subset', 2)]);
    expect(await fleet.localArtifacts(fleet.agent(2))).toEqual([]);
    const view = await fleet.waitForFleetView(
      v => v[0]?.nodes['1']?.state === 'installed' && v[0]?.nodes['3']?.state === 'installed',
      'installed on nodes 1 and 3',
    );
    expect(view).toHaveLength(1);
    expect(view[0]).toMatchObject({ module_name: 'Subset', version: 2, in_fleet: true, target_nodes: [1, 3] });
    expect(view[0]!.nodes['2']).toEqual({ state: 'not_targeted' });
  });

  it('deletes an artifact from every node, empties the fleet view, then answers 404', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('Doomed', 3);
    const pushed = await fleet.push(zip);
    expect((await fleet.waitForAction(pushed.body.action_uid!)).status).toBe('completed');

    const deleted = await fleet.api<{ action_uid: string }>(
      pathTo(routes.fleetArtifact, { moduleName: 'Doomed', version: 3 }),
      { method: 'DELETE' },
    );

    expect(deleted.status).toBe(202);
    expect(deleted.body).toEqual({ action_uid: expect.any(String) as string });
    expect(deleted.body.action_uid).not.toBe(pushed.body.action_uid);
    const action = await fleet.waitForAction(deleted.body.action_uid);
    expect(action.status).toBe('completed');
    expect(Object.values(action.additional_info.pending_ops).map(op => op.status)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    for (const agent of fleet.agents) expect(await fleet.localArtifacts(agent)).toEqual([]);
    await fleet.waitForFleetView(v => v.length === 0, 'fleet view empty after the delete');
    const again = await fleet.api(pathTo(routes.fleetArtifact, { moduleName: 'Doomed', version: 3 }), {
      method: 'DELETE',
    });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error_code: expect.any(String) as string });
    expect(
      (await fleet.api(pathTo(routes.fleetArtifact, { moduleName: 'NeverPushed', version: 1 }), { method: 'DELETE' }))
        .status,
    ).toBe(404);
  });

  it('answers the same action_uid to an identical push while it runs, and completes a later one as a no-op', async () => {
    const fleet = await start({ nodes: 3 });
    const zip = await artifact('Dedupe', 1);
    // A paused agent keeps the action running for as long as the test needs.
    fleet.pauseAgent(fleet.agent(2));

    const first = await fleet.push(zip);
    const second = await fleet.push(zip);
    const inFlight = await fleet.action(first.body.action_uid!);

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.action_uid).toBe(first.body.action_uid);
    expect(['queued', 'running']).toContain(inFlight.status);
    expect(inFlight.additional_info.pending_ops['2']?.status).toBe('queued');

    fleet.resumeAgent(fleet.agent(2));
    const done = await fleet.waitForAction(first.body.action_uid!);
    expect(done.status).toBe('completed');
    expect((await fleet.actions()).filter(a => a.additional_info.object_uid === 'Dedupe@1')).toHaveLength(1);

    const startedAt = Date.now();
    const later = await fleet.push(zip);
    expect(later.status).toBe(202);
    // Reported completed means closed: an identical push no longer joins it.
    expect(later.body.action_uid).not.toBe(first.body.action_uid);
    const noop = await fleet.waitForAction(later.body.action_uid!, { timeoutMs: 5_000 });
    expect(noop.status).toBe('completed');
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    for (const op of Object.values(noop.additional_info.pending_ops)) {
      expect(op).toMatchObject({ status: 'completed', attempts: 1, error: null });
      expect(op).not.toHaveProperty('sources');
    }
    // Every node saw the bytes it already held: nothing was downloaded or installed again. A node
    // logs its op before its job ends, and the action reads completed only after every job ended.
    for (const agent of fleet.agents) {
      const results = agent
        .process!.logRecords()
        .filter(record => record.action_uid === later.body.action_uid && record.msg === 'fleet op done')
        .map(record => record.result);
      expect(results, `node ${agent.uid}`).toEqual(['unchanged']);
      expect(await fleet.localArtifacts(agent)).toEqual([listing('Dedupe', 1)]);
    }
  });

  it('ends an install overtaken by the delete of its artifact as cancelled, saying why, and completes the push', async () => {
    const fleet = await start({ nodes: 2 });
    const zip = await artifact('Overtaken', 1);
    fleet.pauseAgent(fleet.agent(2));
    const pushed = await fleet.push(zip);
    const pushUid = pushed.body.action_uid!;
    await fleet.waitForAction(pushUid, { done: a => a.additional_info.pending_ops['1']?.status === 'completed' });

    const deleted = await fleet.api<{ action_uid: string }>(
      pathTo(routes.fleetArtifact, { moduleName: 'Overtaken', version: 1 }),
      { method: 'DELETE' },
    );
    expect(deleted.status).toBe(202);
    // Node 1 has dropped it and the coordinator its blob: node 2's install can fetch the bytes from nowhere.
    await fleet.waitForAction(deleted.body.action_uid, {
      done: a => a.additional_info.pending_ops['1']?.status === 'completed',
    });
    fleet.resumeAgent(fleet.agent(2));

    // Node 2 finds the bytes gone and ends its install at once: no retry with backoff (about 15 s).
    const push = await fleet.waitForAction(pushUid, { timeoutMs: 90_000 });
    expect(push.status).toBe('completed');
    expect(push.additional_info.pending_ops['1']?.status).toBe('completed');
    expect(push.additional_info.pending_ops['2']).toMatchObject({
      status: 'cancelled',
      attempts: 1,
      error: expect.stringMatching(
        /^superseded: Overtaken@1 was deleted from the fleet before this node installed it; the install had failed: the coordinator no longer holds these bytes/,
      ) as string,
    });
    expect((await fleet.waitForAction(deleted.body.action_uid)).status).toBe('completed');
    for (const agent of fleet.agents) expect(await fleet.localArtifacts(agent)).toEqual([]);
    await fleet.waitForFleetView(v => v.length === 0, 'fleet view empty after the delete');
  }, 150_000);

  it('completes 30 concurrent pushes of 30 different artifacts on every node', async () => {
    const fleet = await start({ nodes: 3 });
    const zips = await Promise.all(Array.from({ length: 30 }, (_unused, i) => artifact(`Bulk${i}`, i + 1, 2048)));

    const pushes = await Promise.all(zips.map(zip => fleet.push(zip)));

    expect(pushes.map(p => p.status)).toEqual(Array<number>(30).fill(202));
    const uids = pushes.map(p => p.body.action_uid!);
    expect(new Set(uids).size).toBe(30);
    const actions = await Promise.all(uids.map(uid => fleet.waitForAction(uid, { timeoutMs: 45_000 })));
    expect(actions.map(a => a.status)).toEqual(Array<string>(30).fill('completed'));
    const expected = zips.map((_zip, i) => listing(`Bulk${i}`, i + 1));
    const byName = (a: LocalListing, b: LocalListing) => a.module_name.localeCompare(b.module_name);
    for (const agent of fleet.agents) {
      expect((await fleet.localArtifacts(agent)).sort(byName), `node ${agent.uid}`).toEqual(expected.sort(byName));
    }
    const view = await fleet.waitForFleetView(
      v => v.length === 30 && v.every(a => Object.values(a.nodes).every(n => n.state === 'installed')),
      '30 artifacts installed on every node',
    );
    for (const entry of view) {
      const i = Number(entry.module_name.slice('Bulk'.length));
      expect(entry.sha256).toBe(sha256(zips[i]!));
    }
  });

  it('refuses bad pushes up front, creating no action and storing nothing', async () => {
    const maxBytes = 64 * 1024;
    const fleet = await start({ nodes: 1, coordinatorEnv: { MODFLEET_MAX_ARTIFACT_BYTES: String(maxBytes) } });
    const good = await artifact('Refusals', 5);
    const pushed = await fleet.push(good);
    expect((await fleet.waitForAction(pushed.body.action_uid!)).status).toBe('completed');
    const actionsBefore = (await fleet.actions()).length;
    const viewBefore = await fleet.waitForFleetView(
      v => v[0]?.nodes['1']?.state === 'installed',
      'the good artifact installed',
    );
    const blobsBefore = await filesIn(join(fleet.coordinator.dataDir, 'blobs'));

    const noModule = new FormData();
    noModule.append('file', new Blob([good]), 'custom-module.zip');
    const cases: {
      what: string;
      send: () => Promise<{ status: number; headers: Headers; body: unknown }>;
      status: number;
      code?: string;
    }[] = [
      { what: 'no module part', send: () => fleet.push(noModule), status: 400, code: 'no_module' },
      { what: 'not a zip', send: () => fleet.push(randomBytes(2048)), status: 400 },
      {
        what: 'module.json not JSON',
        send: async () => fleet.push(await buildArtifactZip({ manifestText: '{ not json' })),
        status: 406,
        code: 'invalid_module',
      },
      {
        what: 'module.json missing',
        send: async () => fleet.push(await buildArtifactZip({ withoutManifest: true })),
        status: 406,
        code: 'invalid_module',
      },
      {
        what: 'module.json without a version',
        send: async () =>
          fleet.push(await buildArtifactZip({ manifest: { module_name: 'NoVersion', version: undefined } })),
        status: 406,
        code: 'invalid_module',
      },
      {
        what: 'other bytes under a pushed name and version',
        send: async () => fleet.push(await artifact('Refusals', 5)),
        status: 406,
        code: 'module_exists',
      },
      {
        what: 'larger than MODFLEET_MAX_ARTIFACT_BYTES (streamed past the limit)',
        send: async () => fleet.push(await artifact('TooBig', 1, maxBytes + 16 * 1024)),
        status: 413,
      },
      {
        what: 'larger than MODFLEET_MAX_ARTIFACT_BYTES (declared length)',
        send: async () => fleet.push(await artifact('WayTooBig', 1, 1024 * 1024)),
        status: 413,
      },
      { what: 'nodes=99', send: async () => fleet.push(await artifact('Nowhere', 1), { nodes: '99' }), status: 406 },
      {
        what: 'nodes=not-a-list',
        send: async () => fleet.push(await artifact('Nowhere', 2), { nodes: 'one,three' }),
        status: 406,
      },
    ];

    for (const { what, send, status, code } of cases) {
      const res = await send();
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
      expectRsError(res, status, code);
    }

    expect((await fleet.actions()).length).toBe(actionsBefore);
    expect(await fleet.fleetView()).toEqual(viewBefore);
    expect(await fleet.localArtifacts(fleet.agent(1))).toEqual([listing('Refusals', 5)]);
    expect(await filesIn(join(fleet.coordinator.dataDir, 'blobs'))).toEqual(blobsBefore);
    expect(await filesIn(join(fleet.coordinator.dataDir, 'tmp'))).toEqual([]);
  });

  it('lets a cluster_viewer read nodes, actions and the fleet view but not push, delete, sync or remove nodes', async () => {
    const fleet = await start({ nodes: 1 });
    const zip = await artifact('Guarded', 1);
    const pushed = await fleet.push(zip);
    const actionUid = pushed.body.action_uid!;
    expect((await fleet.waitForAction(actionUid)).status).toBe('completed');
    const viewer: Credentials = { email: 'viewer@fleet.local', password: 'viewer-password-1' };
    const nobody: Credentials = { email: 'nobody@fleet.local', password: 'nobody-password-1' };
    for (const [user, role] of [
      [viewer, 'cluster_viewer'],
      [nobody, 'none'],
    ] as const) {
      const created = await fleet.api(routes.users, { method: 'POST', json: { ...user, role, name: role } });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
    }
    const reads = [
      routes.nodes,
      pathTo(routes.node, { uid: 1 }),
      routes.actions,
      pathTo(routes.action, { uid: actionUid }),
    ];
    const writes: { path: string; method: string; form?: () => FormData }[] = [
      { path: routes.fleetArtifacts, method: 'POST', form: () => artifactForm(zip) },
      { path: pathTo(routes.fleetArtifact, { moduleName: 'Guarded', version: 1 }), method: 'DELETE' },
      { path: routes.fleetSync, method: 'POST' },
      { path: pathTo(routes.node, { uid: 1 }), method: 'DELETE' },
    ];
    const actionsBefore = (await fleet.actions()).length;

    for (const path of reads) {
      expect((await fleet.api(path, { credentials: viewer })).status, `viewer GET ${path}`).toBe(200);
      expect((await fleet.api(path, { credentials: nobody })).status, `role none GET ${path}`).toBe(403);
      const anonymous = await fleet.api(path, { credentials: null });
      expect(anonymous.status, `anonymous GET ${path}`).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
      const wrong = await fleet.api(path, { credentials: { ...viewer, password: 'not-the-password' } });
      expect(wrong.status, `wrong password GET ${path}`).toBe(401);
    }
    for (const { path, method, form } of writes) {
      const asViewer = await fleet.api(path, { method, credentials: viewer, ...(form && { form: form() }) });
      expect(asViewer.status, `viewer ${method} ${path}`).toBe(403);
      const anonymous = await fleet.api(path, { method, credentials: null, ...(form && { form: form() }) });
      expect(anonymous.status, `anonymous ${method} ${path}`).toBe(401);
    }

    expect((await fleet.actions()).length).toBe(actionsBefore);
    expect((await fleet.nodes()).map(node => node.uid)).toEqual([1]);
    const view: FleetArtifactView[] = await fleet.fleetView();
    expect(view.map(a => `${a.module_name}@${a.version}`)).toEqual(['Guarded@1']);
    expect(await fleet.localArtifacts(fleet.agent(1))).toEqual([listing('Guarded', 1)]);
    const actionAfter: ActionObject = await fleet.action(actionUid);
    expect(actionAfter.status).toBe('completed');
    expect((await fleet.api(routes.fleetSync, { method: 'POST' })).status, 'the admin may sync').toBe(202);
  });
});
