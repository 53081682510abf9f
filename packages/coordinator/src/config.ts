import { envSchemas, ONE_GIB, parseEnv, tlsOption, withTlsPairCheck, type Env } from '@modfleet/common';
import { z } from 'zod';

const coordinatorEnvSchema = withTlsPairCheck(
  z.object({
    REDIS_URL: envSchemas.redisUrl.describe('Redis holding the CCS and the job queues'),
    MODFLEET_HOST: envSchemas.host('127.0.0.1').describe('Address the coordinator listens on'),
    MODFLEET_PORT: envSchemas.port(9443).describe('Port the coordinator listens on (RS: 9443)'),
    MODFLEET_DATA_DIR: z
      .string()
      .min(1)
      .default('.modfleet/coordinator')
      .describe('Where the coordinator keeps uploaded artifacts'),
    MODFLEET_PREFIX: envSchemas.prefix.describe('Redis key and queue prefix'),
    MODFLEET_ADMIN_EMAIL: z
      .email({ error: 'must be an email address' })
      .default('admin@modfleet.local')
      .describe('Email of the admin created on first start'),
    MODFLEET_ADMIN_PASSWORD: z
      .string()
      .min(8, { error: 'must be at least 8 characters' })
      .optional()
      .describe('Password of the admin created on first start'),
    MODFLEET_CLUSTER_SECRET: z
      .string()
      .min(16, { error: 'must be at least 16 characters' })
      .optional()
      .describe('Secret shared by coordinator and agents'),
    MODFLEET_MAX_ARTIFACT_BYTES: envSchemas.positiveBytes(ONE_GIB).describe('Largest artifact accepted (413 above)'),
    MODFLEET_TLS_CERT: envSchemas.optionalPath.describe('PEM certificate: serve HTTPS'),
    MODFLEET_TLS_KEY: envSchemas.optionalPath.describe('PEM private key for MODFLEET_TLS_CERT'),
    MODFLEET_METRICS_PUBLIC: envSchemas.boolean(false).describe('Serve /metrics without auth even off loopback'),
    LOG_LEVEL: envSchemas.logLevel.describe('pino log level'),
  }),
);

export interface CoordinatorConfig {
  redisUrl: string;
  host: string;
  port: number;
  dataDir: string;
  prefix: string;
  adminEmail: string;
  adminPassword: string | undefined;
  clusterSecret: string | undefined;
  maxArtifactBytes: number;
  tls: { certFile: string; keyFile: string } | undefined;
  metricsPublic: boolean;
  logLevel: z.infer<typeof envSchemas.logLevel>;
}

export function loadCoordinatorConfig(env: Env = process.env): CoordinatorConfig {
  const parsed = parseEnv(coordinatorEnvSchema, env);
  return {
    redisUrl: parsed.REDIS_URL,
    host: parsed.MODFLEET_HOST,
    port: parsed.MODFLEET_PORT,
    dataDir: parsed.MODFLEET_DATA_DIR,
    prefix: parsed.MODFLEET_PREFIX,
    adminEmail: parsed.MODFLEET_ADMIN_EMAIL,
    adminPassword: parsed.MODFLEET_ADMIN_PASSWORD,
    clusterSecret: parsed.MODFLEET_CLUSTER_SECRET,
    maxArtifactBytes: parsed.MODFLEET_MAX_ARTIFACT_BYTES,
    tls: tlsOption(parsed.MODFLEET_TLS_CERT, parsed.MODFLEET_TLS_KEY),
    metricsPublic: parsed.MODFLEET_METRICS_PUBLIC,
    logLevel: parsed.LOG_LEVEL,
  };
}
