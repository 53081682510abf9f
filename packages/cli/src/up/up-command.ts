import { InvalidArgumentError, type Command } from 'commander';
import { upOptions } from './up-options.js';
import type { UpFlags } from './up-run.js';

function positiveInteger(value: string): number {
  const parsed = /^[1-9]\d*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 64)
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return parsed;
}

export function registerUpCommand(program: Command): void {
  const command = program
    .command('up')
    .description('run a local cluster: a coordinator and N agents as separate processes (what `npm start` runs)')
    .option('-n, --nodes <count>', 'number of agents', positiveInteger, 3)
    .option('--ports', 'one address for every service, each on its own ports, instead of one address per node')
    .option(
      '--fresh',
      "start from empty state: remove the Redis prefix's keys and the services' data dirs first (asks on a terminal)",
    );
  // One flag per service variable of the env registry (environment values go through the same parsers).
  for (const option of upOptions()) command.addOption(option);
  command.action(async (flags: UpFlags & Record<string, unknown>) => {
    const { runUp } = await import('./up-run.js');
    await runUp(flags);
  });
}
