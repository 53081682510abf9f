import { routes, type ActionObject, type NodeView, type PendingOp } from '@modfleet/common/contract';
import { actionEnded, pollAction } from '@modfleet/common/poll';
import { MultiBar, type SingleBar } from 'cli-progress';
import type { ApiClient } from './api-client.js';
import { RETRY_FOR_MS, RIDE_OUT } from './coordinator-away.js';
import { EXIT_FAILED, EXIT_OK, QuietFailure, type ClientContext, type Io } from './client-context.js';
import { loadCheckSummary } from '../modules/load-check-summary.js';
import { colorsFor, plainColors, renderTable, toJson, type Colors, type OutStream } from './output.js';

export const nodeEntries = (action: ActionObject): [string, PendingOp][] =>
  Object.entries(action.additional_info.pending_ops).sort(([a], [b]) => Number(a) - Number(b));

/** 0 only when every node completed its op (an action with no op at all has nothing left undone). */
export function actionExitCode(action: ActionObject): number {
  if (!actionEnded(action)) return EXIT_FAILED;
  return nodeEntries(action).every(([, op]) => op.status === 'completed') ? EXIT_OK : EXIT_FAILED;
}

/** `failed after 5 attempts: <error>`, `queued (attempt 1 failed: <error>)`, `completed`. */
export function describeOp(op: PendingOp): string {
  switch (op.status) {
    case 'failed':
      return `failed after ${op.attempts} attempt${op.attempts === 1 ? '' : 's'}${op.error ? `: ${op.error}` : ''}`;
    case 'cancelled':
      return 'cancelled (the node left the cluster)';
    case 'queued':
      return op.attempts > 0 && op.error ? `queued (attempt ${op.attempts} failed: ${op.error}; retrying)` : 'queued';
    case 'running':
      return op.attempts > 1 ? `running (attempt ${op.attempts})` : 'running';
    default:
      return op.status;
  }
}

/** Shows how an action's nodes advance, on stderr. */
export interface ProgressReporter {
  update(action: ActionObject): void;
  /** A line about the wait itself (lost the coordinator…), kept clear of the bars. */
  note(line: string): void;
  stop(): void;
}

/** Not a terminal: one line per node status change, nothing else. */
export function lineReporter(stream: OutStream): ProgressReporter {
  const seen = new Map<string, string>();
  return {
    update(action) {
      for (const [node, op] of nodeEntries(action)) {
        const line = describeOp(op);
        if (seen.get(node) === line) continue;
        seen.set(node, line);
        stream.write(`node ${node}: ${line}\n`);
      }
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}

/** A terminal: one live bar per node (cli-progress MultiBar). */
export function barReporter(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): ProgressReporter {
  const c = colorsFor(stream, env);
  const paint = (status: string) =>
    status === 'completed'
      ? c.green(status)
      : status === 'failed' || status === 'cancelled'
        ? c.red(status)
        : status === 'running'
          ? c.cyan(status)
          : c.dim(status);
  const multibar = new MultiBar({
    stream,
    format: ' node {node} {bar} {percentage}% | {state}',
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 10,
    autopadding: true,
  });
  const bars = new Map<string, SingleBar>();
  let width = 1;
  return {
    update(action) {
      const entries = nodeEntries(action);
      width = Math.max(width, ...entries.map(([node]) => node.length));
      for (const [node, op] of entries) {
        const value = op.status === 'completed' ? 100 : Math.round(op.progress);
        const state = describeOp(op).replace(op.status, paint(op.status));
        const payload = { node: node.padStart(width), state };
        const bar = bars.get(node);
        if (bar) bar.update(value, payload);
        else bars.set(node, multibar.create(100, value, payload));
      }
    },
    note(line) {
      multibar.log(`${line}\n`);
    },
    stop() {
      multibar.stop();
    },
  };
}

export function progressReporter(io: Io): ProgressReporter {
  const stderr = io.stderr as OutStream & Partial<NodeJS.WritableStream>;
  return stderr.isTTY === true && typeof stderr.on === 'function'
    ? barReporter(stderr as NodeJS.WritableStream, io.env)
    : lineReporter(stderr);
}

/** The per-node outcome: NODE STATUS ATTEMPTS ERROR, then what each node's module load check found. */
export function nodeSummaryTable(action: ActionObject, colors: Colors = plainColors): string {
  const paint = (status: string) =>
    status === 'completed'
      ? colors.green(status)
      : ['failed', 'cancelled'].includes(status)
        ? colors.red(status)
        : colors.yellow(status);
  return (
    renderTable(
      ['node', 'status', 'progress', 'attempts', 'error'],
      nodeEntries(action).map(([node, op]) => [
        node,
        paint(op.status),
        `${op.status === 'completed' ? 100 : Math.round(op.progress)}%`,
        String(op.attempts),
        op.error ?? '',
      ]),
    ) + loadCheckSummary(action, colors)
  );
}

async function downNodes(client: ApiClient): Promise<number[]> {
  const nodes = await client.get<Pick<NodeView, 'uid' | 'status'>[]>(routes.nodes);
  return nodes.filter(node => node.status !== 'active').map(node => node.uid);
}

export interface WaitOptions {
  timeoutSeconds?: number | undefined;
}

/**
 * What push, rm and sync do after the coordinator accepted: live progress on stderr until the
 * action ends, then a per-node summary on stdout. 0 only when every node completed.
 */
export async function waitForAction(ctx: ClientContext, actionUid: string, options: WaitOptions = {}): Promise<number> {
  const { io, client } = ctx;
  const say = (line: string) => io.stderr.write(`${line}\n`);
  let reporter: ProgressReporter | undefined;
  // Ctrl-C stops the waiting, not the action: put the cursor back and say how to pick it up again.
  const onInterrupt = () => {
    reporter?.stop();
    io.stderr.write(
      `\nmodfleet: interrupted: stopped waiting; action ${actionUid} goes on. Follow it with: modfleet actions ${actionUid} --watch\n`,
    );
    io.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  const { value: action, ended } = await (async () => {
    try {
      return await pollAction(client, actionUid, {
        ...RIDE_OUT,
        intervalMs: io.pollIntervalMs,
        timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
        onChange(current) {
          if (!reporter) {
            say(`action ${current.action_uid}: ${current.additional_info.description}`);
            reporter = progressReporter(io);
          }
          reporter.update(current);
        },
        onRecover() {
          reporter?.note('reconnected to the coordinator');
        },
        onRetry(err) {
          const line = `lost the coordinator (${err.message}); retrying for up to ${RETRY_FOR_MS / 1000} s`;
          if (reporter) reporter.note(line);
          else say(line);
        },
      });
    } finally {
      process.off('SIGINT', onInterrupt);
      reporter?.stop();
    }
  })();

  if (ctx.output === 'json') io.stdout.write(toJson(action));
  const nodes = nodeEntries(action);
  if (ctx.output === 'table') {
    const colors = colorsFor(io.stdout, io.env);
    io.stdout.write(`${action.name} ${action.action_uid}: ${action.status}\n`);
    if (nodes.length === 0) io.stdout.write('Nothing to do: no node needed an operation.\n');
    else io.stdout.write(nodeSummaryTable(action, colors));
  }
  if (!ended) {
    io.stderr.write(
      `modfleet: timeout: action ${action.action_uid} is still ${action.status} after ${options.timeoutSeconds}s; ` +
        `follow it with: modfleet actions ${action.action_uid} --watch\n`,
    );
    const waiting = nodes.filter(([, op]) => op.status === 'queued').map(([node]) => Number(node));
    const down = await downNodes(client).catch((): number[] => []);
    for (const node of waiting.filter(uid => down.includes(uid))) {
      io.stderr.write(`  node ${node} is down: its operation runs when it comes back\n`);
    }
    throw new QuietFailure(EXIT_FAILED);
  }
  const code = actionExitCode(action);
  if (code !== EXIT_OK) {
    const undone = nodes.filter(([, op]) => op.status !== 'completed');
    io.stderr.write(
      `modfleet: action_failed: ${action.name} ${action.action_uid} did not complete on node${undone.length === 1 ? '' : 's'} ${undone.map(([n]) => n).join(', ')}\n`,
    );
    for (const [node, op] of undone) io.stderr.write(`  node ${node}: ${describeOp(op)}\n`);
  }
  return code;
}
