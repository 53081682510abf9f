import type { z } from 'zod';
import { envSchemas, ONE_GIB } from './env-schemas.js';
import { ENV_VARIABLES, type EnvName, type ServiceName } from './env-table.js';
import { RS_DB_PORT_RANGES } from './port-ranges.js';

// The names, flags, defaults and descriptions are plain data in env-table.ts (the CLI's --help reads
// them without zod); this file adds how each service parses each variable.
export {
  configKeyOf,
  defaultOf,
  defaultValueOf,
  ENV_VARIABLES,
  envVariable,
  flagOf,
  flagSpecOf,
  isInternalVariable,
  SERVICES,
  serviceVariables,
  servicesOf,
  type EnvName,
  type EnvVariable,
  type ServiceName,
} from './env-table.js';

const both = <Schema extends z.ZodType>(schema: Schema) => ({ coordinator: schema, agent: schema });

/**
 * How each service that reads a variable parses it, default included: the same services as
 * ENV_VARIABLES lists for it, and the same default (env-registry.test.ts checks both).
 */
export const ENV_SCHEMAS = {
  REDIS_URL: both(envSchemas.redisUrl),
  REDIS_SENTINELS: both(envSchemas.optionalRedisNodes),
  REDIS_SENTINEL_MASTER: both(envSchemas.optionalName),
  REDIS_SENTINEL_PASSWORD: both(envSchemas.optionalSecret(1)),
  REDIS_CLUSTER_NODES: both(envSchemas.optionalRedisNodes),
  MODFLEET_HOST: both(envSchemas.host('127.0.0.1')),
  MODFLEET_PORT: { coordinator: envSchemas.port(9443), agent: envSchemas.port(9444) },
  MODFLEET_HTTP_PORT: both(envSchemas.portOrOff),
  MODFLEET_DATA_DIR: {
    coordinator: envSchemas.path('.modfleet/coordinator'),
    agent: envSchemas.path('.modfleet/agent'),
  },
  MODFLEET_PREFIX: both(envSchemas.prefix),
  MODFLEET_COORDINATOR_URL: { agent: envSchemas.optionalUrlList },
  MODFLEET_NODE_ID: { agent: envSchemas.optionalPositiveInt },
  MODFLEET_ADMIN_EMAIL: { coordinator: envSchemas.email('admin@modfleet.local') },
  MODFLEET_ADMIN_PASSWORD: { coordinator: envSchemas.optionalSecret(8) },
  MODFLEET_CLUSTER_SECRET: both(envSchemas.optionalSecret(16)),
  MODFLEET_MAX_ARTIFACT_BYTES: both(envSchemas.positiveBytes(ONE_GIB)),
  MODFLEET_TLS_CERT: both(envSchemas.optionalPath),
  MODFLEET_TLS_KEY: both(envSchemas.optionalPath),
  MODFLEET_TLS_CA: both(envSchemas.optionalPath),
  MODFLEET_TLS_CA_KEY: { coordinator: envSchemas.optionalPath },
  MODFLEET_METRICS_PUBLIC: both(envSchemas.boolean(false)),
  MODFLEET_ALLOW_HTTP_NODES: { coordinator: envSchemas.boolean(false) },
  MODFLEET_PUSH_URL_ALLOW: { coordinator: envSchemas.optionalUrlList },
  MODFLEET_REDIS_SERVER: { agent: envSchemas.path('redis-server') },
  MODFLEET_DB_PORTS: { coordinator: envSchemas.portRanges(RS_DB_PORT_RANGES) },
  LOG_LEVEL: both(envSchemas.logLevel),
  MODFLEET_TEST_TIMINGS: both(envSchemas.timingOverrides),
} as const satisfies Record<EnvName, Partial<Record<ServiceName, z.ZodType>>>;

type Schemas = typeof ENV_SCHEMAS;

/** The schemas of the variables `Service` reads, keyed by variable name. */
export type ServiceEnvShape<Service extends ServiceName> = {
  [Name in EnvName as Service extends keyof Schemas[Name] ? Name : never]: Schemas[Name] extends Record<
    Service,
    infer Schema extends z.ZodType
  >
    ? Schema
    : never;
};

const schemas: Readonly<Record<EnvName, Partial<Record<ServiceName, z.ZodType>>>> = ENV_SCHEMAS;

export function serviceSchemaOf(name: EnvName, service: ServiceName): z.ZodType {
  const schema = schemas[name][service];
  if (!schema || !(service in ENV_VARIABLES[name].services)) throw new Error(`${service} does not read ${name}`);
  return schema;
}
