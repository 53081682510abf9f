import { moduleNameProblem } from '@modfleet/common/contract';
import { InvalidArgumentError, Option, type Command } from 'commander';

export interface WaitFlags {
  wait: boolean;
  timeout?: number;
}

/** `1,3` or `1, 3` → `1,3`; anything else is a usage error. */
export function parseNodeList(value: string): string {
  const compact = value.replace(/\s+/g, '');
  if (!/^\d{1,9}(,\d{1,9})*$/.test(compact)) {
    throw new InvalidArgumentError('must be comma-separated node uids, e.g. 1,3');
  }
  return [...new Set(compact.split(',').map(Number))].join(',');
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('must be a number of seconds above 0');
  return seconds;
}

export function parseVersion(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31 - 1) {
    throw new InvalidArgumentError('must be the integer module version, e.g. 20804');
  }
  return Number(value);
}

export function parseModuleName(value: string): string {
  const problem = moduleNameProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

/** --no-wait and --timeout: what every command that starts an action takes. */
export function addWaitOptions(command: Command): Command {
  return command
    .option('--no-wait', 'print the action uid and return without waiting for the nodes')
    .addOption(
      new Option('--timeout <seconds>', 'stop waiting after this long (exit 1; the action goes on)').argParser(
        parseSeconds,
      ),
    );
}
