import {
  defaultOf,
  ENV_VARIABLES,
  flagOf,
  flagSpecOf,
  isInternalVariable,
  serviceVariables,
  type EnvName,
  type ServiceName,
} from '@modfleet/common/env';
import { Option, type Command } from 'commander';

const NAMES = Object.keys(ENV_VARIABLES) as EnvName[];

/** One flag per variable `service` reads, named and described by the env registry. */
export function addServiceOptions(command: Command, service: ServiceName): Command {
  for (const name of serviceVariables(service)) {
    if (isInternalVariable(name)) continue;
    const fallback = defaultOf(name, service);
    const help = `${ENV_VARIABLES[name].description}${fallback === undefined ? '' : ` (default ${fallback})`}`;
    command.addOption(new Option(flagSpecOf(name), `${help} [$${name}]`));
  }
  return command;
}

/** commander's attribute for a variable's flag: `MODFLEET_DATA_DIR` -> `--data-dir` -> `dataDir`. */
const attributeOf = (name: EnvName) => new Option(flagOf(name)).attributeName();

/**
 * Flags win over the environment: the merged environment is what config loading sees, and
 * `fromFlags` the variables whose value came from a flag (errors name that flag).
 */
export function envWithFlags(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): { env: Record<string, string | undefined>; fromFlags: Set<string> } {
  const merged: Record<string, string | undefined> = { ...env };
  const fromFlags = new Set<string>();
  for (const name of NAMES) {
    if (isInternalVariable(name)) continue;
    const value = flags[attributeOf(name)];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    merged[name] = String(value);
    fromFlags.add(name);
  }
  return { env: merged, fromFlags };
}
