import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { addClientOptions, clientCommand, type Io } from './client-context.js';
import { parseNodeUid } from './node-client.js';
import type { PushFlags, RemoveFlags } from './push-run.js';
import { addWaitOptions, parseModuleName, parseNodeList, parseVersion } from './wait-options.js';

const nodeOption = (what: string) =>
  new Option('--node <uid>', what).argParser(parseNodeUid).conflicts(['nodes', 'wait', 'timeout']);

function parseSha256(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('must be 64 hexadecimal digits');
  return value.toLowerCase();
}

/** Gathered as given and checked by `headersOf` (push-url-run.ts): commander quotes a refused value, and a header value is a credential. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

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
