import { pathTo, routes, type NodeView } from '@modfleet/common/contract';
import { Argument, type Command } from 'commander';
import { findNode, parseNodeUid } from './node-client.js';
import { addClientOptions, clientCommand, runClientCommand, type ClientFlags, type Io } from './client-context.js';
import { ago, colorsFor, plainColors, renderTable, toJson, type Colors } from './output.js';

export function renderNodes(nodes: NodeView[], c: Colors = plainColors, now: number = Date.now()): string {
  if (nodes.length === 0) return 'No node has registered yet: start an agent with MODFLEET_COORDINATOR_URL set.\n';
  return renderTable(
    ['uid', 'addr', 'status', 'last heartbeat'],
    nodes.map(node => [
      String(node.uid),
      node.addr,
      node.status === 'active' ? c.green(node.status) : c.red(node.status),
      ago(node.last_heartbeat, now),
    ]),
  );
}

export function registerNodesCommand(program: Command, io: Io): void {
  const nodes = clientCommand(program, 'nodes', io).description(
    'list the nodes (agents) registered with the coordinator; `nodes rm N` removes one',
  );
  addClientOptions(
    clientCommand(nodes, 'rm', io)
      .description('remove a node from the cluster (its pending ops are cancelled)')
      .addArgument(new Argument('<uid>', 'node uid').argParser(parseNodeUid)),
  ).action(async (uid: number, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ctx => {
      const node = await findNode(ctx, uid);
      await ctx.client.delete(pathTo(routes.node, { uid }));
      io.stdout.write(
        ctx.output === 'json' ? toJson({ uid, removed: true }) : `Node ${uid} (${node.url}) removed from the cluster\n`,
      );
    });
  });
  addClientOptions(nodes).action(async (flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const nodes = await client.get<NodeView[]>(routes.nodes);
      io.stdout.write(output === 'json' ? toJson(nodes) : renderNodes(nodes, colorsFor(io.stdout, io.env)));
    });
  });
}
