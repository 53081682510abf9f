import type { Command } from 'commander';
import type { ActionsFlags } from './actions-run.js';
import { addClientOptions, clientCommand, type Io } from './client-context.js';

export function registerActionsCommand(program: Command, io: Io): void {
  addClientOptions(
    clientCommand(program, 'actions', io)
      .argument('[uid]', 'one action: its status and its per-node operations')
      .option('-w, --watch', 'with a uid: re-render until the action ends (exit 0 only if every node completed)')
      .description('list the fleet actions (newest first), or show one'),
  ).action(async (uid: string | undefined, flags: ActionsFlags) => {
    const { runActions } = await import('./actions-run.js');
    await runActions(io, uid, flags);
  });
}
