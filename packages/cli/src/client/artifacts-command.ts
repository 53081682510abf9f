import { routes, type ActionAccepted, type FleetArtifactView } from '@modfleet/common/contract';
import type { Command } from 'commander';
import {
  addClientOptions,
  clientCommand,
  EXIT_DRIFT,
  runClientCommand,
  type ClientFlags,
  type Io,
} from './client-context.js';
import { colorsFor, plainColors, renderTable, toJson, type Colors } from './output.js';
import { addWaitOptions, type WaitFlags } from './wait-options.js';

/** States that mean a node does not hold what the fleet says it should. */
export const DRIFT_STATES: readonly string[] = ['mismatch', 'failed', 'missing'];

export interface Drift {
  artifact: string;
  node: string;
  state: string;
  error?: string | undefined;
}

export function findDrift(view: FleetArtifactView[]): Drift[] {
  return view.flatMap(artifact =>
    Object.entries(artifact.nodes)
      .filter(([, cell]) => DRIFT_STATES.includes(cell.state))
      .map(([node, cell]) => ({
        artifact: `${artifact.module_name}@${artifact.version}`,
        node,
        state: cell.state,
        error: cell.error,
      })),
  );
}

function paintState(state: string, c: Colors): string {
  switch (state) {
    case 'installed':
      return c.green(state);
    case 'pending':
      return c.cyan(state);
    case 'mismatch':
    case 'failed':
      return c.bold(c.red(state));
    case 'missing':
      return c.yellow(state);
    default:
      return c.dim(state);
  }
}

export interface LoadCheckNote {
  artifact: string;
  node: string;
  status: string;
  reason: string;
}

/** Load checks worth a line under the matrix: every failed and skipped one. */
export function loadCheckNotes(view: FleetArtifactView[]): LoadCheckNote[] {
  return view.flatMap(artifact =>
    Object.entries(artifact.nodes).flatMap(([node, cell]) =>
      cell.load_check && cell.load_check.status !== 'passed'
        ? [
            {
              artifact: `${artifact.module_name}@${artifact.version}`,
              node,
              status: cell.load_check.status,
              reason: cell.load_check.reason,
            },
          ]
        : [],
    ),
  );
}

/** Rows: artifacts (name@version, short sha); columns: node uids; cells: the state there and its load check. */
export function renderFleetMatrix(view: FleetArtifactView[], c: Colors = plainColors): string {
  if (view.length === 0) return 'No artifacts in the fleet: push one with `modfleet push <artifact.zip>`.\n';
  const nodes = [...new Set(view.flatMap(artifact => Object.keys(artifact.nodes)))].sort(
    (a, b) => Number(a) - Number(b),
  );
  const rows = view.map(artifact => [
    `${artifact.module_name}@${artifact.version}${artifact.in_fleet ? '' : ' (extra)'}`,
    artifact.sha256 ? artifact.sha256.slice(0, 12) : '-',
    ...nodes.map(node => {
      const cell = artifact.nodes[node];
      if (!cell) return c.dim('-');
      if (cell.state === 'not_targeted') return c.dim('-');
      // One name per state: what the fleet never pushed is `extra`, as verify and the page say.
      if (!artifact.in_fleet && cell.state === 'installed') return c.dim('extra');
      return paintState(cell.state, c);
    }),
  ]);
  let text = renderTable(['artifact', 'sha256', ...nodes.map(node => `node ${node}`)], rows);
  const drift = findDrift(view);
  if (drift.length > 0) {
    text += `\n${c.red(`Drift on ${drift.length} node artifact${drift.length === 1 ? '' : 's'}:`)}\n`;
    for (const d of drift) text += `  ${d.artifact} on node ${d.node}: ${d.state}${d.error ? ` (${d.error})` : ''}\n`;
    text += 'Run `modfleet sync` to install what is missing and replace what differs.\n';
  }
  const notes = loadCheckNotes(view);
  if (notes.length > 0) {
    text += `\nModule load checks not passed:\n`;
    for (const n of notes) {
      const status = n.status === 'failed' ? c.red(n.status) : n.status;
      text += `  ${n.artifact} on node ${n.node}: ${status}: ${n.reason}\n`;
    }
  }
  return text;
}

export function registerArtifactsCommands(program: Command, io: Io): void {
  addClientOptions(
    clientCommand(program, 'artifacts', io)
      .description('the fleet view: every artifact against every node, drift highlighted')
      .option('--check', 'exit 3 when any node drifts (mismatch, failed or missing) or a load check failed'),
  ).action(async (flags: ClientFlags & { check?: boolean }) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const view = await client.get<FleetArtifactView[]>(routes.fleetArtifacts);
      io.stdout.write(output === 'json' ? toJson(view) : renderFleetMatrix(view, colorsFor(io.stdout, io.env)));
      const failedChecks = loadCheckNotes(view).filter(n => n.status === 'failed');
      return flags.check && (findDrift(view).length > 0 || failedChecks.length > 0) ? EXIT_DRIFT : 0;
    });
  });

  addWaitOptions(
    addClientOptions(
      clientCommand(program, 'sync', io).description(
        "repair drift: install the fleet's artifacts where they are missing or differ, with live progress",
      ),
    ),
  ).action(async (flags: ClientFlags & WaitFlags) => {
    await runClientCommand(io, flags, async ctx => {
      const { action_uid } = await ctx.client.post<ActionAccepted>(routes.fleetSync);
      const { followAction } = await import('./push-run.js');
      return followAction(ctx, action_uid, flags);
    });
  });
}
