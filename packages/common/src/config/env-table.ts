// The services' variables as plain data: names, flags, defaults as people read them, descriptions.
// It imports no library, so `modfleet coordinator --help` (and every other CLI start) lists the
// flags without loading zod or the services; env-registry.ts adds how each service parses them.
import { LOG_LEVELS } from '../log-levels.js';
import { RS_DB_PORT_RANGES } from './port-ranges.js';

export const SERVICES = ['coordinator', 'agent'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** One environment variable a service reads; its flag and its config field are derived from its name. */
export interface EnvVariable {
  /**
   * Each service that reads the variable, with its default as the variable's own text (null: unset by
   * default); a service not listed never reads it. env-registry.test.ts checks each against the schema.
   */
  readonly services: Readonly<Partial<Record<ServiceName, string | null>>>;
  /** The value's placeholder in the flag: `--port <port>`. */
  readonly arg: string;
  readonly description: string;
  /** Its value is never echoed back, not even in a configuration error. */
  readonly secret?: true;
  /** The default as people read it, where the variable's own text is not (`1073741824`). */
  readonly defaultText?: string;
  /** For the test suite only: no flag, no `--help` line, no README row; the services still read it. */
  readonly internal?: true;
}

const both = (fallback: string | null) => ({ coordinator: fallback, agent: fallback });

/**
 * Every variable of every service, in the order `--help` and docs/services.md list them. Adding a
 * variable here (and its schema in env-registry.ts) gives it a flag on the service commands, a line
 * in `--help`, a checked row in docs/services.md and a field in the service's config
 * (`MODFLEET_DATA_DIR` -> `--data-dir`, `config.dataDir`).
 */
export const ENV_VARIABLES = {
  REDIS_URL: {
    services: both('redis://127.0.0.1:6379'),
    arg: 'url',
    description: 'Redis holding the CCS and the job queues',
  },
  REDIS_SENTINELS: {
    services: both(null),
    arg: 'hosts',
    description: 'Sentinels (host:port,...) that name the master to use; REDIS_URL then gives only credentials and db',
  },
  REDIS_SENTINEL_MASTER: {
    services: both(null),
    arg: 'name',
    description: 'the master name those Sentinels monitor (needed with REDIS_SENTINELS)',
  },
  REDIS_SENTINEL_PASSWORD: {
    services: both(null),
    arg: 'password',
    description: 'password of the Sentinels themselves, when they require one',
    secret: true,
  },
  REDIS_CLUSTER_NODES: {
    services: both(null),
    arg: 'hosts',
    description:
      'Redis Cluster nodes (host:port,...) to start from; REDIS_URL then gives only credentials; the prefix gets a {hash tag}',
  },
  MODFLEET_HOST: {
    services: both('127.0.0.1'),
    arg: 'address',
    description: 'address to listen on',
  },
  MODFLEET_PORT: {
    services: { coordinator: '9443', agent: '9444' },
    arg: 'port',
    description: 'HTTPS port to listen on',
  },
  MODFLEET_HTTP_PORT: {
    services: both(null),
    arg: 'port',
    description: 'plain HTTP port beside the HTTPS one (as RS serves 8080 beside 9443); unset or 0: none',
  },
  MODFLEET_DATA_DIR: {
    services: { coordinator: '.modfleet/coordinator', agent: '.modfleet/agent' },
    arg: 'path',
    description: 'where artifacts are kept',
  },
  MODFLEET_PREFIX: {
    services: both('modfleet'),
    arg: 'prefix',
    description:
      'Redis key and queue prefix, the same for the whole cluster; with REDIS_CLUSTER_NODES it is wrapped in a {hash tag} unless it has one',
  },
  MODFLEET_COORDINATOR_URL: {
    services: { agent: null },
    arg: 'urls',
    description:
      "the coordinator's base URL, or several comma-separated (the agent fails over between them); without it the agent serves its local API only",
  },
  MODFLEET_NODE_ID: {
    services: { agent: null },
    arg: 'uid',
    description: 'node uid this agent claims instead of being given one',
  },
  MODFLEET_ADMIN_EMAIL: {
    services: { coordinator: 'admin@modfleet.local' },
    arg: 'email',
    description: 'email of the admin created on first start',
  },
  MODFLEET_ADMIN_PASSWORD: {
    services: { coordinator: null },
    arg: 'password',
    description:
      'password of that admin, needed while the cluster has no users (at least 8 characters); prefer the variable over the flag',
    secret: true,
  },
  MODFLEET_CLUSTER_SECRET: {
    services: both(null),
    arg: 'secret',
    description:
      'secret that signs coordinator-agent calls (at least 16 characters); unset: one generated and kept in Redis',
    secret: true,
  },
  MODFLEET_MAX_ARTIFACT_BYTES: {
    services: both(String(1024 ** 3)),
    arg: 'bytes',
    description: 'largest artifact accepted (413 above)',
    defaultText: '1 GiB',
  },
  MODFLEET_TLS_CERT: {
    services: both(null),
    arg: 'file',
    description: 'PEM certificate to serve (needs the key too); unset: one signed by the cluster CA, generated',
  },
  MODFLEET_TLS_KEY: {
    services: both(null),
    arg: 'file',
    description: 'PEM private key of that certificate',
  },
  MODFLEET_TLS_CA: {
    services: both(null),
    arg: 'file',
    description:
      "PEM certificate of the cluster CA: agents trust it; unset: the coordinator's own CA, which agents read from Redis",
  },
  MODFLEET_TLS_CA_KEY: {
    services: { coordinator: null },
    arg: 'file',
    description:
      'PEM private key of MODFLEET_TLS_CA: the coordinator signs certificates with it; unset: a CA created in the data dir',
  },
  MODFLEET_METRICS_PUBLIC: {
    services: both('false'),
    arg: 'bool',
    description: 'serve /metrics without auth even when not on loopback',
  },
  MODFLEET_ALLOW_HTTP_NODES: {
    services: { coordinator: 'false' },
    arg: 'bool',
    description:
      'let nodes register a plain http:// addr (their traffic and the CLI credentials sent to them unencrypted)',
  },
  MODFLEET_PUSH_URL_ALLOW: {
    services: { coordinator: null },
    arg: 'urls',
    description:
      'URL prefixes a push from a URL may fetch from (comma list); unset: any http(s) URL; link-local addresses never',
  },
  MODFLEET_REDIS_SERVER: {
    services: { agent: 'redis-server' },
    arg: 'path',
    description: 'redis-server that loads each installed module to check it: a path, or a name looked up on PATH',
  },
  MODFLEET_DB_PORTS: {
    services: { coordinator: RS_DB_PORT_RANGES },
    arg: 'ranges',
    description: 'ports a database without a port of its own is given (RS: 10000-19999 but 10050)',
  },
  LOG_LEVEL: {
    services: both('info'),
    arg: 'level',
    description: `pino log level: ${LOG_LEVELS.join(', ')}`,
  },
  MODFLEET_TEST_TIMINGS: {
    services: both(null),
    arg: 'json',
    description: 'service timings (heartbeat, node down after, presence, worker lock, ...) in ms as JSON, for tests',
    internal: true,
  },
} as const satisfies Record<string, EnvVariable>;

export type EnvName = keyof typeof ENV_VARIABLES;

const registry: Readonly<Record<EnvName, EnvVariable>> = ENV_VARIABLES;
const NAMES = Object.keys(ENV_VARIABLES) as EnvName[];

export const envVariable = (name: string): EnvVariable | undefined =>
  Object.hasOwn(registry, name) ? registry[name as EnvName] : undefined;

export const servicesOf = (name: EnvName): ServiceName[] =>
  SERVICES.filter(service => service in registry[name].services);

/** Whether users see the variable (flag, `--help`, README), or only the test suite sets it. */
export const isInternalVariable = (name: string): boolean => envVariable(name)?.internal === true;

/** The names `service` reads, in registry order. */
export const serviceVariables = (service: ServiceName): EnvName[] =>
  NAMES.filter(name => servicesOf(name).includes(service));

/** `MODFLEET_DATA_DIR` -> `DATA_DIR`: the product prefix says nothing on a flag or a config field. */
const unprefixed = (name: string) => name.replace(/^MODFLEET_/, '');

/** `MODFLEET_DATA_DIR` -> `--data-dir`. */
export const flagOf = (name: string): string => `--${unprefixed(name).toLowerCase().replaceAll('_', '-')}`;

/** `MODFLEET_DATA_DIR` -> `--data-dir <path>`, as commander declares it. */
export const flagSpecOf = (name: EnvName): string => `${flagOf(name)} <${registry[name].arg}>`;

/** `MODFLEET_DATA_DIR` -> `dataDir`, the field of the service's config. */
export const configKeyOf = (name: string): string =>
  unprefixed(name)
    .toLowerCase()
    .replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/** The variable's text `service` uses when it is unset; undefined when it stays unset. */
export function defaultValueOf(name: EnvName, service: ServiceName): string | undefined {
  const services = registry[name].services;
  if (!(service in services)) throw new Error(`${service} does not read ${name}`);
  return services[service] ?? undefined;
}

/** The default `service` uses, as people read it; undefined when the variable is unset by default. */
export function defaultOf(name: EnvName, service: ServiceName): string | undefined {
  const value = defaultValueOf(name, service);
  return value === undefined ? undefined : (registry[name].defaultText ?? value);
}
