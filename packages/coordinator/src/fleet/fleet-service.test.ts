import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactKey, type HashedUpload, type InspectedArtifact } from '@modfleet/common';
import { createFakeActionStore, createFakeNodeInventoryStore } from '@modfleet/common/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeInflightStore } from '../actions/fake-inflight-store.js';
import { createDispatcher } from './dispatch/dispatcher.js';
import { createFakeBlobStore } from './blobs/fake-blob-store.js';
import { createFakeFleetArtifacts } from './desired-state/fake-fleet-artifacts.js';
import { createFakeFlowProducer } from './dispatch/fake-flow-producer.js';
import { createFleetService } from './fleet-service.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-service-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fleet of `members` over fakes: the real service and dispatcher, no Redis, no BullMQ. */
function fleet(members = [1, 2, 3]) {
  const actions = createFakeActionStore();
  const inventory = createFakeNodeInventoryStore();
  const artifacts = createFakeFleetArtifacts();
  const blobs = createFakeBlobStore(dir);
  const flows = createFakeFlowProducer();
  const dispatcher = createDispatcher({ inflight: createFakeInflightStore(), actions, flows });
  const service = createFleetService({
    inventory,
    nodes: { uids: () => Promise.resolve([...members]) },
    artifacts,
    blobs,
    actions,
    dispatcher,
  });
  const opsOf = async (actionUid: string) =>
    (await actions.get(actionUid))?.ops.map(op => [op.node_uid, op.op, artifactKey(op.module_name, op.version)]);
  return { service, actions, inventory, artifacts, blobs, flows, members, opsOf };
}

let uploads = 0;
async function upload(content: string): Promise<HashedUpload> {
  const path = join(dir, `upload-${(uploads += 1)}`);
  await writeFile(path, content);
  return { path, size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}

const inspected = (module_name = 'Mod', version = 1) =>
  ({ manifest: { module_name, version, semantic_version: '0.0.1', dependencies: [] } }) as unknown as InspectedArtifact;

describe('createFleetService', () => {
  it('push: keeps the bytes once and installs them on every member, late joiners included', async () => {
    const { service, artifacts, blobs, actions, opsOf } = fleet();
    const bytes = await upload('zip bytes');
    const actionUid = await service.push(bytes, inspected(), undefined);

    expect(await artifacts.get('Mod', 1)).toMatchObject({ sha256: bytes.sha256, size: bytes.size, nodes: 'all' });
    expect(blobs.held.get(bytes.sha256)?.toString()).toBe('zip bytes');
    expect(await opsOf(actionUid)).toEqual([
      [1, 'install', 'Mod@1'],
      [2, 'install', 'Mod@1'],
      [3, 'install', 'Mod@1'],
    ]);
    expect((await actions.get(actionUid))?.meta).toMatchObject({
      name: 'install_module_artifact',
      object_uid: 'Mod@1',
      description: 'Install Mod@1 on every node',
    });
  });

  it('push to some nodes: only those, in order, each once', async () => {
    const { service, artifacts, opsOf } = fleet();
    const actionUid = await service.push(await upload('x'), inspected(), [3, 1, 3]);
    expect(await opsOf(actionUid)).toEqual([
      [1, 'install', 'Mod@1'],
      [3, 'install', 'Mod@1'],
    ]);
    expect((await artifacts.get('Mod', 1))?.nodes).toEqual([1, 3]);
  });

  it('push to a node that is not a member: invalid_nodes, and nothing is kept', async () => {
    const { service, artifacts, blobs, actions } = fleet();
    await expect(service.push(await upload('x'), inspected(), [2, 7, 9])).rejects.toMatchObject({
      status: 406,
      code: 'invalid_nodes',
      message: 'No such node(s): 7, 9',
    });
    expect(await artifacts.list()).toEqual([]);
    expect(blobs.held.size).toBe(0);
    expect(await actions.list(10)).toEqual([]);
  });

  it('the same push while the first runs answers with the first action', async () => {
    const { service, flows } = fleet();
    const first = await service.push(await upload('same'), inspected(), undefined);
    const second = await service.push(await upload('same'), inspected(), undefined);
    expect(second).toBe(first);
    expect(flows.added).toHaveLength(1);
  });

  it('other bytes under a name and version already in the fleet: module_exists', async () => {
    const { service } = fleet();
    await service.push(await upload('one'), inspected(), undefined);
    await expect(service.push(await upload('two'), inspected(), undefined)).rejects.toMatchObject({
      status: 406,
      code: 'module_exists',
    });
  });

  it('remove: deletes on every node, and drops the bytes once no other artifact shares them', async () => {
    const { service, artifacts, blobs, opsOf } = fleet([1, 2]);
    const shared = await upload('shared');
    await service.push(shared, inspected('Mod', 1), undefined);
    await service.push(await upload('shared'), inspected('Mod', 2), undefined);

    const first = await service.remove('Mod', 1);
    expect(await opsOf(first)).toEqual([
      [1, 'delete', 'Mod@1'],
      [2, 'delete', 'Mod@1'],
    ]);
    expect(blobs.held.has(shared.sha256)).toBe(true);
    await service.remove('Mod', 2);
    expect(blobs.held.has(shared.sha256)).toBe(false);
    expect(await artifacts.list()).toEqual([]);
  });

  it('remove that dies before its deletes are queued keeps the artifact, so the same DELETE again completes it', async () => {
    const { actions, artifacts, blobs, inventory, opsOf } = fleet([1, 2]);
    const dispatcher = createDispatcher({
      inflight: createFakeInflightStore(),
      actions,
      flows: createFakeFlowProducer(),
    });
    let crashes = 1;
    const service = createFleetService({
      inventory,
      nodes: { uids: () => Promise.resolve([1, 2]) },
      artifacts,
      blobs,
      actions,
      dispatcher: {
        dispatch: request =>
          request.name === 'delete_module_artifact' && crashes-- > 0
            ? Promise.reject(new Error('coordinator killed'))
            : dispatcher.dispatch(request),
      },
    });
    const bytes = await upload('kept');
    await service.push(bytes, inspected('Mod', 1), undefined);

    await expect(service.remove('Mod', 1)).rejects.toThrow('coordinator killed');
    expect((await artifacts.list()).map(a => a.module_name)).toEqual(['Mod']);
    const retried = await service.remove('Mod', 1);

    expect(await opsOf(retried)).toEqual([
      [1, 'delete', 'Mod@1'],
      [2, 'delete', 'Mod@1'],
    ]);
    expect(await artifacts.list()).toEqual([]);
    expect(blobs.held.has(bytes.sha256)).toBe(false);
  });

  it('remove of an artifact the fleet does not have: module_artifact_not_found', async () => {
    const { service } = fleet();
    await expect(service.remove('Nope', 4)).rejects.toMatchObject({
      status: 404,
      code: 'module_artifact_not_found',
      message: 'The fleet has no artifact Nope version 4',
    });
  });

  it('view and sync: what nodes report decides what is installed, missing or replaced', async () => {
    const { service, inventory, opsOf } = fleet();
    const bytes = await upload('fleet');
    await service.push(bytes, inspected(), undefined);
    await inventory.report(1, [{ module_name: 'Mod', version: 1, sha256: bytes.sha256 }]);
    await inventory.report(2, [{ module_name: 'Mod', version: 1, sha256: 'f'.repeat(64) }]);

    const [view] = await service.view();
    expect(Object.fromEntries(Object.entries(view!.nodes).map(([node, state]) => [node, state.state]))).toEqual({
      '1': 'installed',
      '2': 'mismatch',
      '3': 'pending',
    });
    const synced = await service.sync();
    expect(await opsOf(synced)).toEqual([
      [2, 'install', 'Mod@1'],
      [3, 'install', 'Mod@1'],
    ]);
  });

  it('welcome: a new node gets what was pushed to every node, not what went to a subset', async () => {
    const { service, members, opsOf } = fleet([1, 2]);
    await service.push(await upload('everyone'), inspected('All', 1), undefined);
    await service.push(await upload('some'), inspected('Some', 1), [1]);
    members.push(5);

    expect(await opsOf((await service.welcome(5))!)).toEqual([[5, 'install', 'All@1']]);
  });

  it('welcome: nothing to do when the fleet has no artifacts for the node', async () => {
    const { service } = fleet();
    expect(await service.welcome(4)).toBeUndefined();
  });
});
