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

type PushFlags = ClientFlags &
  WaitFlags & { nodes?: string; node?: number; fromUrl?: string; sha256?: string; header?: string[] };

export function parseSha256(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('must be 64 hexadecimal digits');
  return value.toLowerCase();
}

/** Gathered as given and checked in `headersOf`: commander quotes a refused value, and a header value is a credential. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `['Authorization: Bearer x']` → `{Authorization: 'Bearer x'}`; an error names the header, never its value. */
export function headersOf(given: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, header] of given.entries()) {
    const colon = header.indexOf(':');
    const name = colon > 0 ? header.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(
        'usage',
        `--header number ${index + 1} must be 'Name: value', e.g. 'Authorization: Bearer <token>'`,
      );
    }
    headers[name] = header.slice(colon + 1).trim();
  }
  return headers;
}

/** The URL as shown: no `user:pass@`, query or fragment (they may hold credentials). */
function shownUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('usage', '--from-url must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('usage', '--from-url must be an http:// or https:// URL');
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** How long the CLI waits for the coordinator, which answers once it has fetched the whole artifact. */
const URL_PUSH_TIMEOUT_MS = 30 * 60_000;

/** `{url, sha256?, headers?}` to the coordinator, which fetches the artifact itself. */
async function pushFromUrl(ctx: ClientContext, io: Io, url: string, flags: PushFlags): Promise<string> {
  const headers = flags.header && headersOf(flags.header);
  io.stderr.write(
    `Pushing ${shownUrl(url)} to ${flags.nodes ? `nodes ${flags.nodes}` : 'every node'} via ${ctx.client.baseUrl} (the coordinator fetches it)\n`,
  );
  const body = {
    url,
    ...(flags.sha256 && { sha256: flags.sha256 }),
    ...(headers && { headers }),
    ...(flags.nodes && { nodes: flags.nodes }),
  };
  const { action_uid } = await ctx.client
    .post<ActionAccepted>(routes.fleetArtifacts, body, { timeoutMs: URL_PUSH_TIMEOUT_MS })
    .catch((err: unknown) => withValidNodes(ctx, err));
  return action_uid;
}

const nodeOption = (what: string) =>
  new Option('--node <uid>', what).argParser(parseNodeUid).conflicts(['nodes', 'wait', 'timeout']);

export function registerPushCommand(program: Command, io: Io): void {
  addWaitOptions(
    addClientOptions(
      clientCommand(program, 'push', io)
        .argument(
          '[artifact.zip]',
          'an RS module artifact: module.json and one .so at the root (see `modfleet pack`); or --from-url',
        )
        .description(
          'upload an artifact to the coordinator (or have it fetch one from --from-url) and install it on every node (or --nodes), with live progress per node',
        )
        .addOption(
          new Option('--nodes <uids>', 'only these nodes, e.g. 1,3 (default: every node)').argParser(parseNodeList),
        )
        .addOption(nodeOption('upload to this node only, through its own local route (RS: one node)'))
        .addOption(
          new Option(
            '--from-url <url>',
            'the coordinator fetches the artifact from this http(s) URL instead of a file (--url names the coordinator)',
          ).conflicts(['node']),
        )
        .addOption(
          new Option(
            '--sha256 <hex>',
            'with --from-url: refuse the push unless the fetched bytes have this sha256',
          ).argParser(parseSha256),
        )
        .addOption(
          new Option(
            '--header <header>',
            "with --from-url: a header for that request, e.g. 'Authorization: Bearer <token>' (repeatable; never printed)",
          ).argParser(collect),
        ),
    ),
  ).action(async (file: string | undefined, flags: PushFlags) => {
    await runClientCommand(io, flags, async ctx => {
      if (flags.fromUrl !== undefined) {
        if (file !== undefined) throw new UsageError('usage', 'give either an artifact file or --from-url, not both');
        return followAction(ctx, await pushFromUrl(ctx, io, flags.fromUrl, flags), flags);
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
