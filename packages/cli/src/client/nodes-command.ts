import { routes, type NodeView } from '@modfleet/common';
import type { Command } from 'commander';
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
  addClientOptions(
    clientCommand(program, 'nodes', io).description('list the nodes (agents) registered with the coordinator'),
  ).action(async (flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const nodes = await client.get<NodeView[]>(routes.nodes);
      io.stdout.write(output === 'json' ? toJson(nodes) : renderNodes(nodes, colorsFor(io.stdout, io.env)));
    });
  });
}
