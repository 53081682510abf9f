import { stat } from 'node:fs/promises';
import {
  inspectArtifact,
  isAppError,
  moduleNameSchema,
  pathTo,
  routes,
  type ActionAccepted,
  type InspectedArtifact,
  type NodeView,
} from '@modfleet/common';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { waitForAction } from './action-wait.js';
import { ApiError } from './api-client.js';
import { pushToNode, removeFromNode } from './local-artifact-commands.js';
import { parseNodeUid } from './node-client.js';
import { uploadProgress } from './upload-progress.js';
import {
  addClientOptions,
  clientCommand,
  runClientCommand,
  UsageError,
  type ClientContext,
  type ClientFlags,
  type Io,
} from './client-context.js';
import { formatBytes, toJson } from './output.js';

export interface WaitFlags {
  wait: boolean;
  timeout?: number;
}

/** `1,3` or `1, 3` → `1,3`; anything else is a usage error. */
export function parseNodeList(value: string): string {
  const compact = value.replace(/\s+/g, '');
  if (!/^\d{1,9}(,\d{1,9})*$/.test(compact)) {
    throw new InvalidArgumentError('must be comma-separated node uids, e.g. 1,3');
  }
  return [...new Set(compact.split(',').map(Number))].join(',');
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('must be a number of seconds above 0');
  return seconds;
}

export function parseVersion(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31 - 1) {
    throw new InvalidArgumentError('must be the integer module version, e.g. 20804');
  }
  return Number(value);
}

export function parseModuleName(value: string): string {
  const parsed = moduleNameSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'invalid module name');
  return value;
}

/** --no-wait and --timeout: what every command that starts an action takes. */
export function addWaitOptions(command: Command): Command {
  return command
    .option('--no-wait', 'print the action uid and return without waiting for the nodes')
    .addOption(
      new Option('--timeout <seconds>', 'stop waiting after this long (exit 1; the action goes on)').argParser(
        parseSeconds,
      ),
    );
}

/** The coordinator accepted: either hand back the action uid, or follow it to the end. */
export async function followAction(ctx: ClientContext, actionUid: string, flags: WaitFlags): Promise<number> {
  if (!flags.wait) {
    ctx.io.stdout.write(ctx.output === 'json' ? toJson({ action_uid: actionUid }) : `${actionUid}\n`);
    return 0;
  }
  return waitForAction(ctx, actionUid, { timeoutSeconds: flags.timeout });
}

/** The checks the coordinator will make, done before sending a byte: a bad zip is a usage error (2). */
export async function checkArtifactFile(path: string): Promise<{ size: number; inspected: InspectedArtifact }> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return { size, inspected: await inspectArtifact(path) };
  } catch (err) {
    if (isAppError(err)) throw new UsageError(err.code, `${path}: ${err.message}`);
    throw err;
  }
}

/** `No such node(s): 7` becomes `No such node(s): 7; valid node uids: 1, 2, 3`. */
export async function withValidNodes(ctx: ClientContext, err: unknown): Promise<never> {
  if (!(err instanceof ApiError) || err.code !== 'invalid_nodes') throw err;
  const uids = await ctx.client.get<NodeView[]>(routes.nodes).then(
    nodes => nodes.map(node => node.uid).sort((a, b) => a - b),
    () => undefined,
  );
  if (uids === undefined) throw err;
  throw new ApiError(err.status, err.code, `${err.message}; valid node uids: ${uids.join(', ') || 'none registered'}`);
}

type PushFlags = ClientFlags & WaitFlags & { nodes?: string; node?: number };

const nodeOption = (what: string) =>
  new Option('--node <uid>', what).argParser(parseNodeUid).conflicts(['nodes', 'wait', 'timeout']);

export function registerPushCommand(program: Command, io: Io): void {
  addWaitOptions(
    addClientOptions(
      clientCommand(program, 'push', io)
        .argument('<artifact.zip>', 'an RS module artifact: module.json and one .so at the root (see `modfleet pack`)')
        .description(
          'upload an artifact to the coordinator and install it on every node (or --nodes), with live progress per node',
        )
        .addOption(
          new Option('--nodes <uids>', 'only these nodes, e.g. 1,3 (default: every node)').argParser(parseNodeList),
        )
        .addOption(nodeOption('upload to this node only, through its own local route (RS: one node)')),
    ),
  ).action(async (file: string, flags: PushFlags) => {
    await runClientCommand(io, flags, async ctx => {
      const { size, inspected } = await checkArtifactFile(file);
      if (flags.node !== undefined) return pushToNode(ctx, file, flags.node);
      const { module_name, version } = inspected.manifest;
      io.stderr.write(
        `Pushing ${module_name}@${version} (${formatBytes(size)}) to ${flags.nodes ? `nodes ${flags.nodes}` : 'every node'} via ${ctx.client.baseUrl}\n`,
      );
      const bar = uploadProgress(io, 'upload');
      const { action_uid } = await ctx.client
        .upload<ActionAccepted>(
          routes.fleetArtifacts,
          { path: file, field: 'module', onProgress: bar.onProgress },
          flags.nodes ? { nodes: flags.nodes } : {},
        )
        .catch((err: unknown) => withValidNodes(ctx, err))
        .finally(() => bar.stop());
      return followAction(ctx, action_uid, flags);
    });
  });

  addWaitOptions(
    addClientOptions(
      clientCommand(program, 'rm', io)
        .addArgument(new Argument('<name>', 'module_name').argParser(parseModuleName))
        .addArgument(new Argument('<version>', 'integer version').argParser(parseVersion))
        .description('delete an artifact from every node, with live progress per node')
        .addOption(nodeOption('delete from this node only, through its own local route (RS: one node)')),
    ),
  ).action(async (name: string, version: number, flags: ClientFlags & WaitFlags & { node?: number }) => {
    await runClientCommand(io, flags, async ctx => {
      if (flags.node !== undefined) return removeFromNode(ctx, name, version, flags.node);
      const { action_uid } = await ctx.client.delete<ActionAccepted>(
        pathTo(routes.fleetArtifact, { moduleName: name, version }),
      );
      return followAction(ctx, action_uid, flags);
    });
  });
}
