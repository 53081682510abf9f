import { artifactKey, nodeOpKey, type NodeOpSummary } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import type { PlannedOp } from '../dispatch/dispatcher.js';
import type { FleetArtifact } from './fleet-artifacts.js';
import { fleetView, planSync, type FleetSnapshot } from './fleet-state.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_OLD = 'c'.repeat(64);

function fleetArtifact(overrides: Partial<FleetArtifact> = {}): FleetArtifact {
  return {
    module_name: 'Mod',
    version: 1,
    semantic_version: '0.0.1',
    dependencies: [],
    sha256: SHA_A,
    size: 4096,
    nodes: 'all',
    created_at: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

interface SnapshotInput {
  artifacts?: FleetArtifact[];
  nodeUids?: number[];
  /** node → { '<name>@<version>': sha256 } */
  held?: Record<number, Record<string, string>>;
  /** '<node>|<name>@<version>' → last op */
  ops?: Record<string, Partial<NodeOpSummary>>;
}

function snapshot({ artifacts = [fleetArtifact()], nodeUids = [1, 2, 3], held = {}, ops = {} }: SnapshotInput = {}) {
  return {
    artifacts,
    nodeUids,
    inventories: new Map(
      Object.entries(held).map(([node, entries]) => [Number(node), new Map(Object.entries(entries))]),
    ),
    nodeOps: new Map(
      Object.entries(ops).map(([key, summary]) => [
        key,
        { action_uid: 'act-1', op: 'install', status: 'completed', sha256: SHA_A, error: null, ...summary },
      ]),
    ),
  } satisfies FleetSnapshot;
}

/** What the nodes would hold once every planned op succeeded. */
function applyPlan(state: FleetSnapshot, plan: PlannedOp[]): FleetSnapshot {
  const inventories = new Map([...state.inventories].map(([node, held]) => [node, new Map(held)]));
  for (const op of plan) {
    const held = inventories.get(op.node_uid) ?? new Map<string, string>();
    held.set(artifactKey(op.module_name, op.version), op.sha256!);
    inventories.set(op.node_uid, held);
  }
  return { ...state, inventories, nodeOps: new Map() };
}

describe('fleetView', () => {
  it('lists an artifact with its sha256, size and targets, installed on every node that reports its bytes', () => {
    const view = fleetView(snapshot({ held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_A }, 3: { 'Mod@1': SHA_A } } }));

    expect(view).toEqual([
      {
        module_name: 'Mod',
        version: 1,
        in_fleet: true,
        sha256: SHA_A,
        size: 4096,
        target_nodes: 'all',
        nodes: {
          '1': { state: 'installed', sha256: SHA_A },
          '2': { state: 'installed', sha256: SHA_A },
          '3': { state: 'installed', sha256: SHA_A },
        },
      },
    ]);
  });

  it('is empty for an empty fleet', () => {
    expect(fleetView(snapshot({ artifacts: [] }))).toEqual([]);
  });

  it('shows a node holding other bytes under the name and version as mismatch, with what it holds', () => {
    const view = fleetView(
      snapshot({
        held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_B } },
        ops: {
          [nodeOpKey(2, 'Mod', 1)]: { action_uid: 'act-9', status: 'failed', error: 'drift: run sync' },
        },
      }),
    );

    expect(view[0]!.nodes['2']).toEqual({
      state: 'mismatch',
      sha256: SHA_B,
      action_uid: 'act-9',
      error: 'drift: run sync',
    });
    expect(view[0]!.nodes['1']).toEqual({ state: 'installed', sha256: SHA_A });
  });

  it('shows a node whose op is queued or running as pending, with the action', () => {
    const view = fleetView(
      snapshot({
        held: { 1: { 'Mod@1': SHA_A } },
        ops: {
          [nodeOpKey(2, 'Mod', 1)]: { action_uid: 'act-2', status: 'queued' },
          [nodeOpKey(3, 'Mod', 1)]: { action_uid: 'act-2', status: 'running' },
        },
      }),
    );

    expect(view[0]!.nodes['2']).toEqual({ state: 'pending', action_uid: 'act-2' });
    expect(view[0]!.nodes['3']).toEqual({ state: 'pending', action_uid: 'act-2' });
  });

  it('shows failed when the last op for these very bytes failed, with its error', () => {
    const view = fleetView(
      snapshot({
        ops: { [nodeOpKey(1, 'Mod', 1)]: { action_uid: 'act-3', status: 'failed', error: 'disk full' } },
      }),
    );

    expect(view[0]!.nodes['1']).toEqual({ state: 'failed', action_uid: 'act-3', error: 'disk full' });
  });

  it('shows missing, not failed, when the failed op was for other bytes (an earlier artifact of that name)', () => {
    const view = fleetView(
      snapshot({
        ops: { [nodeOpKey(1, 'Mod', 1)]: { status: 'failed', sha256: SHA_OLD, error: 'blob_not_found' } },
      }),
    );

    expect(view[0]!.nodes['1']).toEqual({ state: 'missing' });
  });

  it('shows missing for a node with no op, a completed delete or a cancelled op and no bytes', () => {
    const view = fleetView(
      snapshot({
        ops: {
          [nodeOpKey(2, 'Mod', 1)]: { op: 'delete', status: 'completed', sha256: undefined },
          [nodeOpKey(3, 'Mod', 1)]: { status: 'cancelled' },
        },
      }),
    );

    expect(view[0]!.nodes).toEqual({
      '1': { state: 'missing' },
      '2': { state: 'missing' },
      '3': { state: 'missing' },
    });
  });

  it('shows the nodes a subset push left out as not_targeted', () => {
    const view = fleetView(
      snapshot({
        artifacts: [fleetArtifact({ nodes: [1, 3] })],
        held: { 1: { 'Mod@1': SHA_A } },
        ops: { [nodeOpKey(3, 'Mod', 1)]: { status: 'running' } },
      }),
    );

    expect(view[0]!.target_nodes).toEqual([1, 3]);
    expect(view[0]!.nodes).toEqual({
      '1': { state: 'installed', sha256: SHA_A },
      '2': { state: 'not_targeted' },
      '3': { state: 'pending', action_uid: 'act-1' },
    });
  });

  it('shows a node a subset push left out as not_targeted even when it holds other bytes of that name', () => {
    const view = fleetView(
      snapshot({
        artifacts: [fleetArtifact({ nodes: [1, 3] })],
        held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_B }, 3: { 'Mod@1': SHA_A } },
      }),
    );

    // Sync never installs there (see planSync), so reporting drift would never clear.
    expect(view[0]!.nodes['2']).toMatchObject({ state: 'not_targeted' });
  });

  it('lists artifacts nodes hold outside the fleet with in_fleet false, on the nodes that hold them', () => {
    const view = fleetView(
      snapshot({
        artifacts: [fleetArtifact()],
        held: {
          1: { 'Mod@1': SHA_A, 'Local@3': SHA_B },
          2: { 'Mod@1': SHA_A, 'Local@3': SHA_OLD, 'Other.mod@12': SHA_B },
        },
      }),
    );

    expect(view.map(a => `${a.module_name}@${a.version}:${a.in_fleet}`)).toEqual([
      'Mod@1:true',
      'Local@3:false',
      'Other.mod@12:false',
    ]);
    expect(view[1]).toEqual({
      module_name: 'Local',
      version: 3,
      in_fleet: false,
      sha256: null,
      size: null,
      target_nodes: [],
      nodes: { '1': { state: 'installed', sha256: SHA_B }, '2': { state: 'installed', sha256: SHA_OLD } },
    });
    expect(view[2]!.nodes).toEqual({ '2': { state: 'installed', sha256: SHA_B } });
  });

  it('shows an unmanaged artifact with a delete on its way as pending on that node', () => {
    const view = fleetView(
      snapshot({
        artifacts: [],
        held: { 1: { 'Gone@1': SHA_A } },
        ops: { [nodeOpKey(1, 'Gone', 1)]: { action_uid: 'act-del', op: 'delete', status: 'queued' } },
      }),
    );

    expect(view).toEqual([
      expect.objectContaining({
        module_name: 'Gone',
        in_fleet: false,
        nodes: { '1': { state: 'pending', sha256: SHA_A, action_uid: 'act-del' } },
      }),
    ]);
  });

  it('ignores inventories of nodes that are no longer members', () => {
    const view = fleetView(snapshot({ nodeUids: [1], held: { 1: { 'Mod@1': SHA_A }, 7: { 'Stray@1': SHA_B } } }));

    expect(view).toHaveLength(1);
    expect(Object.keys(view[0]!.nodes)).toEqual(['1']);
  });
});

describe('planSync', () => {
  it('installs the fleet artifact on every targeted node that lacks it, and nothing where it is installed', () => {
    const plan = planSync(snapshot({ held: { 1: { 'Mod@1': SHA_A } } }));

    expect(plan).toEqual([
      { node_uid: 2, op: 'install', module_name: 'Mod', version: 1, sha256: SHA_A, size: 4096 },
      { node_uid: 3, op: 'install', module_name: 'Mod', version: 1, sha256: SHA_A, size: 4096 },
    ]);
  });

  it('replaces mismatched bytes, marking the op as a replacement', () => {
    const plan = planSync(snapshot({ held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_B }, 3: { 'Mod@1': SHA_A } } }));

    expect(plan).toEqual([
      { node_uid: 2, op: 'install', module_name: 'Mod', version: 1, sha256: SHA_A, size: 4096, replace: true },
    ]);
  });

  it('never marks a plain install (nothing held) as a replacement', () => {
    const plan = planSync(snapshot());

    expect(plan.every(op => op.replace === undefined)).toBe(true);
  });

  it('retries a node whose last op failed', () => {
    const plan = planSync(
      snapshot({
        held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_A } },
        ops: { [nodeOpKey(3, 'Mod', 1)]: { status: 'failed', error: 'disk full' } },
      }),
    );

    expect(plan.map(op => op.node_uid)).toEqual([3]);
  });

  it('leaves out nodes a subset push did not target', () => {
    const plan = planSync(snapshot({ artifacts: [fleetArtifact({ nodes: [1, 3] })] }));

    expect(plan.map(op => op.node_uid)).toEqual([1, 3]);
  });

  it('never deletes or touches artifacts held outside the fleet', () => {
    const plan = planSync(
      snapshot({
        held: { 1: { 'Mod@1': SHA_A, 'Local@3': SHA_B }, 2: { 'Mod@1': SHA_A }, 3: { 'Mod@1': SHA_A } },
      }),
    );

    expect(plan).toEqual([]);
  });

  it('plans only for the nodes asked (a late joiner)', () => {
    const plan = planSync(
      snapshot({
        artifacts: [fleetArtifact(), fleetArtifact({ module_name: 'Other', version: 2, sha256: SHA_B, size: 10 })],
        nodeUids: [1, 2, 3, 4],
      }),
      [4],
    );

    expect(plan).toEqual([
      { node_uid: 4, op: 'install', module_name: 'Mod', version: 1, sha256: SHA_A, size: 4096 },
      { node_uid: 4, op: 'install', module_name: 'Other', version: 2, sha256: SHA_B, size: 10 },
    ]);
  });

  it('plans nothing when every node holds the fleet artifacts', () => {
    const plan = planSync(snapshot({ held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_A }, 3: { 'Mod@1': SHA_A } } }));

    expect(plan).toEqual([]);
  });

  it.each<[string, SnapshotInput]>([
    [
      'missing, mismatched and failed nodes',
      {
        held: { 2: { 'Mod@1': SHA_B } },
        ops: { [nodeOpKey(3, 'Mod', 1)]: { status: 'failed', error: 'disk full' } },
      },
    ],
    [
      'a subset artifact beside a fleet-wide one',
      {
        artifacts: [fleetArtifact(), fleetArtifact({ module_name: 'Sub', nodes: [2], sha256: SHA_B })],
        held: { 1: { 'Mod@1': SHA_OLD } },
      },
    ],
    [
      'a node left out of a subset push that holds other bytes of that name and version',
      {
        artifacts: [fleetArtifact({ nodes: [1, 3] })],
        held: { 1: { 'Mod@1': SHA_A }, 2: { 'Mod@1': SHA_B } },
      },
    ],
  ])('leaves no node missing or mismatched once its plan has run: %s', (_name, input) => {
    const before = snapshot(input);

    const after = fleetView(applyPlan(before, planSync(before)));

    for (const artifact of after.filter(a => a.in_fleet)) {
      for (const [uid, node] of Object.entries(artifact.nodes)) {
        expect(['installed', 'not_targeted'], `${artifact.module_name} on node ${uid}`).toContain(node.state);
      }
    }
  });
});
