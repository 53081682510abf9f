import type { Command } from 'commander';
import { registerInspectCommand } from '../modules/inspect-command.js';
import { registerActionsCommand } from './actions-command.js';
import { registerArtifactsCommands } from './artifacts-command.js';
import { processIo, type Io } from './client-context.js';
import { registerModulesCommand } from './modules-command.js';
import { registerNodesCommand } from './nodes-command.js';
import { registerPackCommand } from './pack-command.js';
import { registerPushCommand } from './push-command.js';
import { registerVerifyCommand } from '../verify/verify-command.js';
import { registerLoadCommand } from '../load/load-command.js';
import { registerDbCommand } from './db-command.js';
import { addProgramClientOptions } from './global-options.js';
import { registerContextCommands, registerContextListCommands } from './context-commands.js';
import { registerClusterCommand } from './cluster-command.js';
import { registerUsersCommand } from './users-command.js';
import { registerCompletionCommand } from './completion-command.js';

/** The commands people run against a coordinator: nodes, modules, push, rm, artifacts, sync, actions, pack, inspect. */
export function registerClientCommands(program: Command, io: Io = processIo()): Command {
  // `pack --version 3` is the module's version, not `modfleet --version`: the program's own
  // options count only before the command name.
  program.enablePositionalOptions();
  addProgramClientOptions(program, io);
  const before = new Set(program.commands);
  registerNodesCommand(program, io);
  registerModulesCommand(program, io);
  registerPushCommand(program, io);
  registerArtifactsCommands(program, io);
  registerVerifyCommand(program, io);
  registerLoadCommand(program, io);
  registerActionsCommand(program, io);
  registerPackCommand(program, io);
  registerInspectCommand(program, io);
  registerDbCommand(program, io);
  registerContextCommands(program, io);
  registerContextListCommands(program, io);
  registerClusterCommand(program, io);
  registerUsersCommand(program, io);
  registerCompletionCommand(program, io);
  for (const command of program.commands) {
    if (!before.has(command)) command.helpGroup('Client commands (talk to a coordinator; --help on each):');
  }
  return program;
}
