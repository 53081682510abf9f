import { pathTo, routes, type ActionObject, type LogEvent } from '@modfleet/common/contract';
import type { ApiClient } from './api-client.js';
import { actionExitCode, isTerminal, nodeSummaryTable, pollAction } from './action-wait.js';
import { runClientCommand, UsageError, type ClientFlags, type Io } from './client-context.js';
import { colorsFor, localTime, plainColors, renderTable, toJson, visibleWidth, type Colors } from './output.js';

function paintStatus(status: string, c: Colors): string {
  if (status === 'completed') return c.green(status);
  if (status === 'failed') return c.red(status);
  if (status === 'running') return c.cyan(status);
  return c.dim(status);
}

/** Who started each action (the audit log's events by action_uid). */
export type StartedBy = ReadonlyMap<string, Pick<LogEvent, 'user' | 'client_addr'>>;

/**
 * The audit log's word on who started which action; empty when this user may not read it (RS's
 * view_logged_events) or the cluster keeps none: the actions are shown without it.
 */
export async function startedBy(client: ApiClient): Promise<StartedBy> {
  try {
    const events = await client.get<LogEvent[]>(`${routes.logs}?order=desc&limit=1000`);
    return new Map(events.filter(e => e.action_uid).map(e => [e.action_uid!, e]));
  } catch {
    return new Map();
  }
}

export function renderActionList(actions: ActionObject[], c: Colors = plainColors, by: StartedBy = new Map()): string {
  if (actions.length === 0) return 'No actions yet.\n';
  return renderTable(
    ['uid', 'name', 'object', 'status', 'progress', 'created', 'by'],
    actions.map(action => [
      action.action_uid,
      action.name,
      action.additional_info.object_uid,
      paintStatus(action.status, c),
      `${Math.round(action.progress)}%`,
      localTime(action.creation_time),
      by.get(action.action_uid)?.user ?? '',
    ]),
  );
}

export function renderAction(action: ActionObject, c: Colors = plainColors, by: StartedBy = new Map()): string {
  const info = action.additional_info;
  const starter = by.get(action.action_uid);
  const fields: [string, string][] = [
    ['action', action.action_uid],
    ['name', action.name],
    ['description', info.description],
    ['object', `${info.object_type} ${info.object_uid}`],
    ['status', `${paintStatus(action.status, c)} (${Math.round(action.progress)}%)`],
    ['created', localTime(action.creation_time)],
    ...(starter ? [['started by', `${starter.user} from ${starter.client_addr}`] as [string, string]] : []),
  ];
  const width = Math.max(...fields.map(([label]) => visibleWidth(label)));
  const head = fields.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
  const ops = Object.keys(info.pending_ops).length === 0 ? 'No node operations.\n' : nodeSummaryTable(action, c);
  return `${head}\n${ops}`;
}

export type ActionsFlags = ClientFlags & { watch?: boolean };

/** `modfleet actions [uid] [--watch]`: the list, one action, or one action followed to its end. */
export async function runActions(io: Io, uid: string | undefined, flags: ActionsFlags): Promise<void> {
  await runClientCommand(io, flags, async ({ client, output }) => {
    if (uid === undefined) {
      if (flags.watch) throw new UsageError('usage', '--watch needs an action uid: modfleet actions <uid> --watch');
      const actions = await client.get<ActionObject[]>(routes.actions);
      io.stdout.write(
        output === 'json'
          ? toJson(actions)
          : renderActionList(actions, colorsFor(io.stdout, io.env), await startedBy(client)),
      );
      return 0;
    }
    const path = pathTo(routes.action, { uid });
    const colors = colorsFor(io.stdout, io.env);
    const by = output === 'json' ? new Map() : await startedBy(client);
    if (!flags.watch) {
      const action = await client.get<ActionObject>(path);
      io.stdout.write(output === 'json' ? toJson(action) : renderAction(action, colors, by));
      return 0;
    }
    // --watch: redraw in place on a terminal; elsewhere print each new state once.
    let previous = '';
    let drawnLines = 0;
    let retrying = false;
    const { action } = await pollAction(client, uid, {
      intervalMs: io.pollIntervalMs,
      onRetry(err) {
        if (!retrying) io.stderr.write(`lost the coordinator (${err.message}); retrying for up to 30 s\n`);
        retrying = true;
      },
      onUpdate(current) {
        retrying = false;
        if (output === 'json') return;
        const text = renderAction(current, colors, by);
        if (text === previous) return;
        previous = text;
        if (io.stdout.isTTY === true) {
          if (drawnLines > 0) io.stdout.write(`\x1b[${drawnLines}F\x1b[0J`);
          drawnLines = text.split('\n').length - 1;
          io.stdout.write(text);
        } else {
          io.stdout.write(drawnLines > 0 ? `\n${text}` : text);
          drawnLines += 1;
        }
      },
    });
    if (output === 'json') io.stdout.write(toJson(action));
    return isTerminal(action) ? actionExitCode(action) : 1;
  });
}
