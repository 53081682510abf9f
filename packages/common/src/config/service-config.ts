import { z } from 'zod';
import { parseEnv, tlsOption, withTlsPairCheck, type Env } from '../env.js';
import { clusterPrefixOf } from '../redis-target.js';
import {
  configKeyOf,
  serviceSchemaOf,
  serviceVariables,
  type ServiceEnvShape,
  type ServiceName,
} from './env-registry.js';
import { withRedisTargetCheck } from './redis-target-check.js';

type CamelCase<Text extends string> = Text extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<Text>;

/** `MODFLEET_DATA_DIR` -> `dataDir`, as `configKeyOf` does at run time. */
export type ConfigKey<Name extends string> = CamelCase<Name extends `MODFLEET_${infer Rest}` ? Rest : Name>;

/** The two TLS variables become one `tls` field: both files or none. */
const TLS_VARIABLES = ['MODFLEET_TLS_CERT', 'MODFLEET_TLS_KEY'];
type TlsVariable = 'MODFLEET_TLS_CERT' | 'MODFLEET_TLS_KEY';

/** `A & B` as one object type, as editors and type assertions read best. */
type Flat<Type> = { [Key in keyof Type]: Type[Key] } & {};

/** A service's configuration: one field per variable it reads, named after the variable. */
export type ServiceConfig<Service extends ServiceName> = Flat<FieldsOf<Service> & { tls: TlsFiles | undefined }>;

type TlsFiles = { certFile: string; keyFile: string };
type FieldsOf<Service extends ServiceName> = {
  [Name in keyof ServiceEnvShape<Service> & string as Name extends TlsVariable ? never : ConfigKey<Name>]: z.output<
    ServiceEnvShape<Service>[Name]
  >;
};

/** The zod object of every variable `service` reads, the TLS pair checked together. */
export function serviceEnvSchema(service: ServiceName) {
  const shape = Object.fromEntries(serviceVariables(service).map(name => [name, serviceSchemaOf(name, service)]));
  return withRedisTargetCheck(withTlsPairCheck(z.object(shape)));
}

/**
 * Reads every variable `service` uses from `env` at once (fail-fast: a ConfigError lists every bad
 * one). `fromFlags` names the variables the user gave as flags, so errors can say so.
 */
export function loadServiceConfig<Service extends ServiceName>(
  service: Service,
  env: Env,
  fromFlags?: ReadonlySet<string>,
): ServiceConfig<Service> {
  const parsed: Record<string, unknown> = parseEnv(serviceEnvSchema(service), env, fromFlags);
  const fields = serviceVariables(service)
    .filter(name => !TLS_VARIABLES.includes(name))
    .map(name => [configKeyOf(name), parsed[name]]);
  const inCluster = Boolean(parsed.REDIS_CLUSTER_NODES);
  return {
    ...Object.fromEntries(fields),
    // A cluster keeps each BullMQ flow and Lua script in one slot only when every key shares a hash tag.
    ...(inCluster && typeof parsed.MODFLEET_PREFIX === 'string' && { prefix: clusterPrefixOf(parsed.MODFLEET_PREFIX) }),
    tls: tlsOption(parsed.MODFLEET_TLS_CERT, parsed.MODFLEET_TLS_KEY),
  } as ServiceConfig<Service>;
}
