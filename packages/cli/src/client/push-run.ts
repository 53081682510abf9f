import { stat } from 'node:fs/promises';
import { inspectArtifact, isAppError, type InspectedArtifact } from '@modfleet/common';
import { pathTo, routes, type ActionAccepted, type NodeView } from '@modfleet/common/contract';
import { waitForAction } from './action-wait.js';
import { ApiError } from './api-errors.js';
import { runClientCommand, UsageError, type ClientContext, type ClientFlags, type Io } from './client-context.js';
import { pushToNode, removeFromNode } from './local-artifact-commands.js';
import { pushFromUrl } from './push-url-run.js';
import { formatBytes, toJson } from './output.js';
import { uploadProgress } from './upload-progress.js';
import type { WaitFlags } from './wait-options.js';

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

export type PushFlags = ClientFlags &
  WaitFlags & { nodes?: string; node?: number; fromUrl?: string; sha256?: string; header?: string[] };
export type RemoveFlags = ClientFlags & WaitFlags & { node?: number };

/** `modfleet push`: checked here, uploaded with a progress bar, then followed node by node. */
export async function runPush(io: Io, file: string | undefined, flags: PushFlags): Promise<void> {
  await runClientCommand(io, flags, async ctx => {
    if (flags.fromUrl !== undefined) {
      if (file !== undefined) throw new UsageError('usage', 'give either an artifact file or --from-url, not both');
      const actionUid = await pushFromUrl(ctx, flags.fromUrl, flags).catch((err: unknown) => withValidNodes(ctx, err));
      return followAction(ctx, actionUid, flags);
    }
    if (file === undefined) throw new UsageError('usage', 'give an artifact file, or --from-url <url>');
    if (flags.sha256 !== undefined || flags.header !== undefined) {
      throw new UsageError('usage', '--sha256 and --header go with --from-url');
    }
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
}

/** `modfleet rm`: the artifact deleted from every node (or one, through its local route). */
export async function runRemove(io: Io, name: string, version: number, flags: RemoveFlags): Promise<void> {
  await runClientCommand(io, flags, async ctx => {
    if (flags.node !== undefined) return removeFromNode(ctx, name, version, flags.node);
    const { action_uid } = await ctx.client.delete<ActionAccepted>(
      pathTo(routes.fleetArtifact, { moduleName: name, version }),
    );
    return followAction(ctx, action_uid, flags);
  });
}
