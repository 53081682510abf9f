import { Option, type Command } from 'commander';

/** A node reached over plain HTTP while --allow-http-nodes was not given: no credentials went out. */
export class PlainHttpNodeError extends Error {
  constructor(readonly url: string) {
    super(`${url} is plain HTTP: your credentials were not sent to it (--allow-http-nodes sends them unencrypted)`);
    this.name = 'PlainHttpNodeError';
  }
}

/**
 * Node addresses come from the coordinator, not from the user: a node registered with an
 * http:// addr would otherwise receive the user's Basic credentials in clear.
 */
export function refusePlainHttpNode(url: string, allowed: boolean): void {
  if (!allowed && new URL(url).protocol === 'http:') throw new PlainHttpNodeError(url);
}

export function addAllowHttpNodesOption(command: Command): Command {
  return command.addOption(
    new Option('--allow-http-nodes', 'send your credentials to nodes that serve plain HTTP (unencrypted)'),
  );
}
