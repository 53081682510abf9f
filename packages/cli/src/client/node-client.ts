import { pathTo, routes, type NodeView } from '@modfleet/common/contract';
import { InvalidArgumentError } from 'commander';
import type { ApiClient } from './api-client.js';
import { ApiError } from './api-errors.js';
import { UsageError, type ClientContext } from './client-context.js';

export function parseNodeUid(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be one node uid, e.g. 2');
  return Number(value);
}

/** The valid uids, for a message that names them: `1, 2, 3`. */
export async function nodeUids(client: ApiClient): Promise<string> {
  const nodes = await client.get<NodeView[]>(routes.nodes);
  return (
    nodes
      .map(node => node.uid)
      .sort((a, b) => a - b)
      .join(', ') || 'none registered'
  );
}

/** The node as the coordinator knows it; an unknown uid is a usage error naming the valid ones. */
export async function findNode(ctx: ClientContext, uid: number): Promise<NodeView> {
  try {
    return await ctx.client.get<NodeView>(pathTo(routes.node, { uid }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new UsageError('node_not_exist', `no node ${uid}; valid node uids: ${await nodeUids(ctx.client)}`);
    }
    throw err;
  }
}

/**
 * A client of the node's own API (RS's /v2/local/... routes on the node's addr), with the
 * coordinator's credentials and CA: what an RS user does with curl against one node.
 */
export async function openNodeClient(ctx: ClientContext, uid: number): Promise<{ node: NodeView; client: ApiClient }> {
  const node = await findNode(ctx, uid);
  const { createApiClient } = await import('./api-client.js');
  const client = createApiClient({
    url: node.url,
    user: ctx.flags.user,
    password: ctx.flags.password,
    insecure: ctx.flags.insecure === true,
    ca: ctx.ca,
  });
  return { node, client };
}
