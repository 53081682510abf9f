import type { z } from 'zod';
import { LOG_LEVELS } from '../logger.js';
import { envSchemas, ONE_GIB } from './env-schemas.js';
import { RS_DB_PORT_RANGES } from './port-ranges.js';

export const SERVICES = ['coordinator', 'agent'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** One environment variable a service reads; its flag and its config field are derived from its name. */
export interface EnvVariable {
  /** How each service that reads the variable parses it, default included; a service not listed never reads it. */
  readonly services: Readonly<Partial<Record<ServiceName, z.ZodType>>>;
  /** The value's placeholder in the flag: `--port <port>`. */
  readonly arg: string;
  readonly description: string;
  /** Its value is never echoed back, not even in a configuration error. */
  readonly secret?: true;
  /** The default as people read it, where the parsed value is not (`1073741824`). */
  readonly defaultText?: string;
  /** For the test suite only: no flag, no `--help` line, no README row; the services still read it. */
  readonly internal?: true;
}

const both = <Schema extends z.ZodType>(schema: Schema) => ({ coordinator: schema, agent: schema });

/**
 * Every variable of every service, in the order `--help` and docs/services.md list them. Adding a
 * variable here gives it a flag on the service commands, a line in `--help`, a checked row in
 * docs/services.md and a field in the service's config (`MODFLEET_DATA_DIR` -> `--data-dir`,
 * `config.dataDir`).
 */
export const ENV_VARIABLES = {
  REDIS_URL: {
    services: both(envSchemas.redisUrl),
    arg: 'url',
    description: 'Redis holding the CCS and the job queues',
  },
  REDIS_SENTINELS: {
    services: both(envSchemas.optionalRedisNodes),
    arg: 'hosts',
    description: 'Sentinels (host:port,...) that name the master to use; REDIS_URL then gives only credentials and db',
  },
  REDIS_SENTINEL_MASTER: {
    services: both(envSchemas.optionalName),
    arg: 'name',
    description: 'the master name those Sentinels monitor (needed with REDIS_SENTINELS)',
  },
  REDIS_SENTINEL_PASSWORD: {
    services: both(envSchemas.optionalSecret(1)),
    arg: 'password',
    description: 'password of the Sentinels themselves, when they require one',
    secret: true,
  },
  REDIS_CLUSTER_NODES: {
    services: both(envSchemas.optionalRedisNodes),
    arg: 'hosts',
    description:
      'Redis Cluster nodes (host:port,...) to start from; REDIS_URL then gives only credentials; the prefix gets a {hash tag}',
  },
  MODFLEET_HOST: {
    services: both(envSchemas.host('127.0.0.1')),
    arg: 'address',
    description: 'address to listen on',
  },
  MODFLEET_PORT: {
    services: { coordinator: envSchemas.port(9443), agent: envSchemas.port(9444) },
    arg: 'port',
    description: 'HTTPS port to listen on',
  },
  MODFLEET_HTTP_PORT: {
    services: both(envSchemas.portOrOff),
    arg: 'port',
    description: 'plain HTTP port beside the HTTPS one (as RS serves 8080 beside 9443); unset or 0: none',
  },
  MODFLEET_DATA_DIR: {
    services: { coordinator: envSchemas.path('.modfleet/coordinator'), agent: envSchemas.path('.modfleet/agent') },
    arg: 'path',
    description: 'where artifacts are kept',
  },
  MODFLEET_PREFIX: {
    services: both(envSchemas.prefix),
    arg: 'prefix',
    description:
      'Redis key and queue prefix, the same for the whole cluster; with REDIS_CLUSTER_NODES it is wrapped in a {hash tag} unless it has one',
  },
  MODFLEET_COORDINATOR_URL: {
    services: { agent: envSchemas.optionalUrlList },
    arg: 'urls',
    description:
      "the coordinator's base URL, or several comma-separated (the agent fails over between them); without it the agent serves its local API only",
  },
  MODFLEET_NODE_ID: {
    services: { agent: envSchemas.optionalPositiveInt },
    arg: 'uid',
    description: 'node uid this agent claims instead of being given one',
  },
  MODFLEET_ADMIN_EMAIL: {
    services: { coordinator: envSchemas.email('admin@modfleet.local') },
    arg: 'email',
    description: 'email of the admin created on first start',
  },
  MODFLEET_ADMIN_PASSWORD: {
    services: { coordinator: envSchemas.optionalSecret(8) },
    arg: 'password',
    description:
      'password of that admin, needed while the cluster has no users (at least 8 characters); prefer the variable over the flag',
    secret: true,
  },
  MODFLEET_CLUSTER_SECRET: {
    services: both(envSchemas.optionalSecret(16)),
    arg: 'secret',
    description:
      'secret that signs coordinator-agent calls (at least 16 characters); unset: one generated and kept in Redis',
    secret: true,
  },
  MODFLEET_MAX_ARTIFACT_BYTES: {
    services: both(envSchemas.positiveBytes(ONE_GIB)),
    arg: 'bytes',
    description: 'largest artifact accepted (413 above)',
    defaultText: '1 GiB',
  },
  MODFLEET_TLS_CERT: {
    services: both(envSchemas.optionalPath),
    arg: 'file',
    description: 'PEM certificate to serve (needs the key too); unset: one signed by the cluster CA, generated',
  },
  MODFLEET_TLS_KEY: {
    services: both(envSchemas.optionalPath),
    arg: 'file',
    description: 'PEM private key of that certificate',
  },
  MODFLEET_TLS_CA: {
    services: both(envSchemas.optionalPath),
    arg: 'file',
    description:
      "PEM certificate of the cluster CA: agents trust it; unset: the coordinator's own CA, which agents read from Redis",
  },
  MODFLEET_TLS_CA_KEY: {
    services: { coordinator: envSchemas.optionalPath },
    arg: 'file',
    description:
      'PEM private key of MODFLEET_TLS_CA: the coordinator signs certificates with it; unset: a CA created in the data dir',
  },
  MODFLEET_METRICS_PUBLIC: {
    services: both(envSchemas.boolean(false)),
    arg: 'bool',
    description: 'serve /metrics without auth even when not on loopback',
  },
  MODFLEET_ALLOW_HTTP_NODES: {
    services: { coordinator: envSchemas.boolean(false) },
    arg: 'bool',
    description:
      'let nodes register a plain http:// addr (their traffic and the CLI credentials sent to them unencrypted)',
  },
  MODFLEET_PUSH_URL_ALLOW: {
    services: { coordinator: envSchemas.optionalUrlList },
    arg: 'urls',
    description:
      'URL prefixes a push from a URL may fetch from (comma list); unset: any http(s) URL; link-local addresses never',
  },
  MODFLEET_REDIS_SERVER: {
    services: { agent: envSchemas.path('redis-server') },
    arg: 'path',
    description: 'redis-server that loads each installed module to check it: a path, or a name looked up on PATH',
  },
  MODFLEET_DB_PORTS: {
    services: { coordinator: envSchemas.portRanges(RS_DB_PORT_RANGES) },
    arg: 'ranges',
    description: 'ports a database without a port of its own is given (RS: 10000-19999 but 10050)',
    defaultText: RS_DB_PORT_RANGES,
  },
  LOG_LEVEL: {
    services: both(envSchemas.logLevel),
    arg: 'level',
    description: `pino log level: ${LOG_LEVELS.join(', ')}`,
  },
  MODFLEET_TEST_TIMINGS: {
    services: both(envSchemas.timingOverrides),
    arg: 'json',
    description: 'service timings (heartbeat, node down after, presence, worker lock, ...) in ms as JSON, for tests',
    internal: true,
  },
} as const satisfies Record<string, EnvVariable>;

type Registry = typeof ENV_VARIABLES;
export type EnvName = keyof Registry;

/** The schemas of the variables `Service` reads, keyed by variable name. */
export type ServiceEnvShape<Service extends ServiceName> = {
  [
    Name in EnvName as Service extends keyof Registry[Name]['services'] ? Name : never
  ]: Registry[Name]['services'] extends Record<Service, infer Schema extends z.ZodType> ? Schema : never;
};

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

export function serviceSchemaOf(name: EnvName, service: ServiceName): z.ZodType {
  const schema = registry[name].services[service];
  if (!schema) throw new Error(`${service} does not read ${name}`);
  return schema;
}

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

/** The default `service` uses, as people read it; undefined when the variable is unset by default. */
export function defaultOf(name: EnvName, service: ServiceName): string | undefined {
  const parsed = serviceSchemaOf(name, service).safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (value === undefined) return undefined;
  return registry[name].defaultText ?? (typeof value === 'string' ? value : JSON.stringify(value));
}
