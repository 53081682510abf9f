import { Argument, Option, type Command } from 'commander';
import { addClientOptions, clientCommand, type Io } from './client-context.js';
import { parseNodeUid } from './node-client.js';
import type { PushFlags, RemoveFlags } from './push-run.js';
import { addWaitOptions, parseModuleName, parseNodeList, parseVersion } from './wait-options.js';

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
    const { runPush } = await import('./push-run.js');
    await runPush(io, file, flags);
  });

  addWaitOptions(
    addClientOptions(
      clientCommand(program, 'rm', io)
        .addArgument(new Argument('<name>', 'module_name').argParser(parseModuleName))
        .addArgument(new Argument('<version>', 'integer version').argParser(parseVersion))
        .description('delete an artifact from every node, with live progress per node')
        .addOption(nodeOption('delete from this node only, through its own local route (RS: one node)')),
    ),
  ).action(async (name: string, version: number, flags: RemoveFlags) => {
    const { runRemove } = await import('./push-run.js');
    await runRemove(io, name, version, flags);
  });
}
