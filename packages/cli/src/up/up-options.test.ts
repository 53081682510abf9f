import { ENV_VARIABLES, flagOf, serviceVariables, type EnvName } from '@modfleet/common';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerUpCommand } from './up-command.js';
import { SET_BY_UP, UP_ONLY_FLAGS } from './up-options.js';

/** The long flags `modfleet up` declares, as commander parsed them. */
function upFlags(): string[] {
  const program = new Command();
  registerUpCommand(program);
  const up = program.commands.find(command => command.name() === 'up')!;
  return up.options.map(option => option.long!);
}

const serviceVariableNames = [...new Set([...serviceVariables('coordinator'), ...serviceVariables('agent')])];

describe('modfleet up flags', () => {
  it('has a flag for every variable a service reads, except those up sets for each service itself', () => {
    const flags = upFlags();

    const missing = serviceVariableNames.filter(name => SET_BY_UP[name] === undefined && !flags.includes(flagOf(name)));

    expect(missing).toEqual([]);
  });

  it('has no flag that is not a service variable, apart from its own --nodes, --ports and --fresh', () => {
    const fromVariables = new Set(serviceVariableNames.map(flagOf));

    const strays = upFlags().filter(
      flag => !fromVariables.has(flag) && !(UP_ONLY_FLAGS as readonly string[]).includes(flag),
    );

    expect(strays).toEqual([]);
  });

  it('exempts only variables of the registry, none of which it also declares as a flag', () => {
    const exempt = Object.keys(SET_BY_UP) as EnvName[];

    expect(exempt.filter(name => !(name in ENV_VARIABLES))).toEqual([]);
    expect(exempt.map(flagOf).filter(flag => upFlags().includes(flag))).toEqual([]);
  });
});
