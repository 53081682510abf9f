import {
  artifactKey,
  dependencyNamesOf,
  NotAcceptableError,
  NotFoundError,
  type ActionStore,
  type FleetArtifactView,
  type HashedUpload,
  type InspectedArtifact,
  type NodeInventoryStore,
} from '@modfleet/common';
import type { NodeRegistry } from '../nodes/node-registry.js';
import type { BlobStore } from './blobs/blob-store.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { FleetArtifacts } from './desired-state/fleet-artifacts.js';
import { fleetView, planSync, type FleetSnapshot } from './desired-state/fleet-state.js';

export interface FleetService {
  /** `source`: where the bytes were fetched from (shown in the action), already without credentials. */
  push(
    upload: HashedUpload,
    inspected: InspectedArtifact,
    nodes: number[] | undefined,
    source?: string,
  ): Promise<string>;
  remove(moduleName: string, version: number): Promise<string>;
  view(): Promise<FleetArtifactView[]>;
  sync(): Promise<string>;
  /** A node that was not a member gets every artifact pushed to the whole fleet. */
  welcome(nodeUid: number): Promise<string | undefined>;
}

export interface FleetServiceDeps {
  inventory: NodeInventoryStore;
  /** Only the members: registering and removing nodes is not the fleet's business. */
  nodes: Pick<NodeRegistry, 'uids'>;
  artifacts: FleetArtifacts;
  blobs: BlobStore;
  actions: ActionStore;
  dispatcher: Dispatcher;
}

const OBJECT_TYPE = 'module_artifact';

export function createFleetService({
  inventory,
  nodes,
  artifacts,
  blobs,
  actions,
  dispatcher,
}: FleetServiceDeps): FleetService {
  async function snapshot(): Promise<FleetSnapshot> {
    const nodeUids = await nodes.uids();
    const [fleetArtifacts, nodeOps, inventories, loadChecks] = await Promise.all([
      artifacts.list(),
      actions.nodeOps(),
      Promise.all(nodeUids.map(async uid => [uid, await inventory.read(uid)] as const)),
      Promise.all(nodeUids.map(async uid => [uid, await inventory.readLoadChecks(uid)] as const)),
    ]);
    return {
      artifacts: fleetArtifacts,
      nodeUids,
      inventories: new Map(inventories),
      nodeOps,
      loadChecks: new Map(loadChecks),
    };
  }

  async function targets(requested: number[] | undefined): Promise<number[]> {
    const members = await nodes.uids();
    if (!requested) return members;
    const unknown = requested.filter(uid => !members.includes(uid));
    if (unknown.length > 0) throw new NotAcceptableError('invalid_nodes', `No such node(s): ${unknown.join(', ')}`);
    return [...new Set(requested)].sort((a, b) => a - b);
  }

  return {
    async push(upload, { manifest }, requestedNodes, source) {
      const nodeUids = await targets(requestedNodes);
      const artifact = await artifacts.upsert({
        module_name: manifest.module_name,
        version: manifest.version,
        semantic_version: manifest.semantic_version,
        dependencies: dependencyNamesOf(manifest.dependencies),
        sha256: upload.sha256,
        size: upload.size,
        nodes: requestedNodes ? nodeUids : 'all',
        created_at: new Date().toISOString(),
      });
      await blobs.put(upload);
      const name = artifactKey(artifact.module_name, artifact.version);
      const { action_uid } = await dispatcher.dispatch({
        name: 'install_module_artifact',
        description: `Install ${name} on ${requestedNodes ? `nodes ${nodeUids.join(', ')}` : 'every node'}${source ? ` from ${source}` : ''}`,
        object_type: OBJECT_TYPE,
        object_uid: name,
        dedupeKey: `install|${name}|${upload.sha256}|${requestedNodes ? nodeUids.join(',') : 'all'}`,
        ops: nodeUids.map(node_uid => ({
          node_uid,
          op: 'install',
          module_name: artifact.module_name,
          version: artifact.version,
          sha256: artifact.sha256,
          size: artifact.size,
        })),
      });
      return action_uid;
    },

    async remove(moduleName, version) {
      if (!(await artifacts.get(moduleName, version)))
        throw new NotFoundError(
          'module_artifact_not_found',
          `The fleet has no artifact ${moduleName} version ${version}`,
        );
      const name = artifactKey(moduleName, version);
      // The deletes are queued before the artifact leaves the desired state: a coordinator that dies
      // in between leaves it listed, and the same DELETE sent again finishes the job. The other
      // order lost the delete and left the bytes on every node, with a 404 for the retry.
      const { action_uid } = await dispatcher.dispatch({
        name: 'delete_module_artifact',
        description: `Delete ${name} from every node`,
        object_type: OBJECT_TYPE,
        object_uid: name,
        dedupeKey: `delete|${name}`,
        ops: (await nodes.uids()).map(node_uid => ({ node_uid, op: 'delete', module_name: moduleName, version })),
      });
      const removed = await artifacts.remove(moduleName, version);
      if (removed && !(await artifacts.list()).some(other => other.sha256 === removed.sha256)) {
        await blobs.remove(removed.sha256);
      }
      return action_uid;
    },

    async view() {
      return fleetView(await snapshot());
    },

    async sync() {
      const ops = planSync(await snapshot());
      const { action_uid } = await dispatcher.dispatch({
        name: 'sync_module_artifacts',
        description: `Bring every node to the fleet's artifacts (${ops.length} operation(s))`,
        object_type: 'cluster',
        object_uid: 'fleet',
        ops,
      });
      return action_uid;
    },

    async welcome(nodeUid) {
      // Only the joining node's inventory: reading every node's would make each join cost O(fleet size).
      const [fleetArtifacts, held] = await Promise.all([artifacts.list(), inventory.read(nodeUid)]);
      const ops = planSync(
        {
          artifacts: fleetArtifacts.filter(a => a.nodes === 'all'),
          nodeUids: [nodeUid],
          inventories: new Map([[nodeUid, held]]),
          nodeOps: new Map(),
        },
        [nodeUid],
      );
      if (ops.length === 0) return undefined;
      const { action_uid } = await dispatcher.dispatch({
        name: 'sync_module_artifacts',
        description: `Node ${nodeUid} joined: install the fleet's ${ops.length} artifact(s)`,
        object_type: 'node',
        object_uid: String(nodeUid),
        ops,
      });
      return action_uid;
    },
  };
}
