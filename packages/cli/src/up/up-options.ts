import { ENV_VARIABLES, flagSpecOf, serviceVariables, type EnvName } from '@modfleet/common/env';
import { InvalidArgumentError, Option } from 'commander';

/** `up`'s own flags: how many services, how they are addressed, whether to start empty; no service reads them. */
export const UP_ONLY_FLAGS = ['--nodes', '--ports', '--fresh'] as const;

/** Variables `up` sets itself for each service it starts, and why no flag may set them. */
export const SET_BY_UP: Readonly<Partial<Record<EnvName, string>>> = {
  MODFLEET_NODE_ID: 'node N is given uid N',
  MODFLEET_COORDINATOR_URL: 'every agent is given the coordinator up starts',
  MODFLEET_TLS_CERT: 'each service gets its own certificate, signed by the cluster CA',
  MODFLEET_TLS_KEY: 'each service gets its own certificate, signed by the cluster CA',
  MODFLEET_TLS_CA: 'up keeps the cluster CA under --data-dir',
  MODFLEET_TLS_CA_KEY: 'up keeps the cluster CA under --data-dir',
};

/** Ports up hands out counting up from the one given: node N may take P+N. */
const portIn = (min: number, what: string) => (value: string) => {
  const parsed = /^(0|[1-9]\d*)$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < min || parsed > 65535 - 64) throw new InvalidArgumentError(what);
  return parsed;
};

interface UpMeaning {
  description: string;
  parse?: (value: string) => unknown;
  fallback?: unknown;
}

/** Where `up` reads a variable for the whole cluster rather than for one service. */
const UP_MEANINGS: Readonly<Partial<Record<EnvName, UpMeaning>>> = {
  MODFLEET_DATA_DIR: {
    description: 'where the cluster keeps artifacts, logs and (if needed) a private Redis',
    fallback: '.modfleet',
  },
  MODFLEET_HOST: {
    description: 'address the services listen on; 127.0.0.1 on Linux gives node N its own 127.0.0.(N+1) instead',
    fallback: '127.0.0.1',
  },
  MODFLEET_PORT: {
    description:
      'HTTPS port: every service on it, each at its own loopback address (Linux); with --ports the coordinator takes P and node N P+N',
    parse: portIn(1, 'must be a port number'),
    fallback: 9443,
  },
  MODFLEET_HTTP_PORT: {
    description: 'plain HTTP port beside HTTPS, assigned like --port (0: none)',
    parse: portIn(0, 'must be a port number, or 0 for none'),
    fallback: 8080,
  },
  REDIS_URL: {
    description: 'Redis to use; if it does not answer, a private redis-server is started',
    fallback: 'redis://127.0.0.1:6379',
  },
  MODFLEET_ADMIN_PASSWORD: { description: 'admin password (default: the documented local one)' },
  LOG_LEVEL: { description: 'service log level' },
};

/** Every variable a service reads that `up` takes as a flag: all but those it sets per service. */
export const upVariables = (): EnvName[] =>
  [...new Set([...serviceVariables('coordinator'), ...serviceVariables('agent')])].filter(
    name => SET_BY_UP[name] === undefined,
  );

/** One option per variable of `upVariables`, named by the env registry; environment values go through the same parser. */
export function upOptions(): Option[] {
  return upVariables().map(name => {
    const meaning = UP_MEANINGS[name];
    const option = new Option(flagSpecOf(name), meaning?.description ?? ENV_VARIABLES[name].description).env(name);
    if (meaning?.parse) option.argParser(meaning.parse);
    if (meaning?.fallback !== undefined) option.default(meaning.fallback);
    return option;
  });
}

/** The variables up does not read itself, as given (flag or environment): every service gets them. */
export function passedThrough(flags: Record<string, unknown>, readByUp: readonly EnvName[]): Record<string, string> {
  const given: Record<string, string> = {};
  for (const name of upVariables()) {
    if (readByUp.includes(name)) continue;
    const value = flags[new Option(flagSpecOf(name)).attributeName()];
    if (typeof value === 'string') given[name] = value;
  }
  return given;
}
