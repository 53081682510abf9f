import { Command } from 'commander';
import { registerClientCommands } from './client/register-client-commands.js';
import { registerServiceCommands } from './run-services.js';
import { registerSimulateCommand } from './simulate/simulate-command.js';
import { registerUpCommand } from './up/up-command.js';

const program = new Command()
  .name('modfleet')
  .description('Redis Enterprise user-defined module API as a runnable cluster: coordinator, node agents, fleet tools')
  .version('0.1.0')
  .showHelpAfterError();

registerUpCommand(program);
registerServiceCommands(program);
registerSimulateCommand(program);
registerClientCommands(program);

await program.parseAsync(process.argv);
