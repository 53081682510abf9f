import { envSchemas, ONE_GIB, parseEnv, tlsOption, withTlsPairCheck, type Env } from '@modfleet/common';
import { z } from 'zod';

const agentEnvSchema = withTlsPairCheck(
  z.object({
    REDIS_URL: envSchemas.redisUrl.describe('Redis holding the CCS and the job queues'),
    MODFLEET_HOST: envSchemas.host('127.0.0.1').describe('Address the agent listens on'),
    MODFLEET_PORT: envSchemas.port(9444).describe('Port the agent listens on'),
    MODFLEET_DATA_DIR: z.string().min(1).default('.modfleet/agent').describe('Where this node keeps its artifacts'),
    MODFLEET_PREFIX: envSchemas.prefix.describe('Redis key and queue prefix shared with the coordinator'),
    MODFLEET_COORDINATOR_URL: envSchemas.optionalUrl.describe('Base URL of the coordinator'),
    MODFLEET_NODE_ID: z.coerce
      .number()
      .int()
      .positive({ error: 'must be a positive integer' })
      .optional()
      .describe('Node uid to claim'),
    MODFLEET_CLUSTER_SECRET: z
      .string()
      .min(16, { error: 'must be at least 16 characters' })
      .optional()
      .describe('Secret shared by coordinator and agents'),
    MODFLEET_MAX_ARTIFACT_BYTES: envSchemas.positiveBytes(ONE_GIB).describe('Largest artifact accepted (413 above)'),
    MODFLEET_TLS_CERT: envSchemas.optionalPath.describe('PEM certificate: serve HTTPS'),
    MODFLEET_TLS_KEY: envSchemas.optionalPath.describe('PEM private key for MODFLEET_TLS_CERT'),
    MODFLEET_METRICS_PUBLIC: envSchemas.boolean(false).describe('Serve /metrics without auth even off loopback'),
    MODFLEET_REDIS_SERVER: z
      .string()
      .min(1)
      .default('redis-server')
      .describe('redis-server for module load checks: a path, or a name looked up on PATH'),
    LOG_LEVEL: envSchemas.logLevel.describe('pino log level'),
  }),
);

export interface AgentConfig {
  redisUrl: string;
  host: string;
  port: number;
  dataDir: string;
  prefix: string;
  coordinatorUrl: string | undefined;
  nodeId: number | undefined;
  clusterSecret: string | undefined;
  maxArtifactBytes: number;
  tls: { certFile: string; keyFile: string } | undefined;
  metricsPublic: boolean;
  redisServer: string;
  logLevel: z.infer<typeof envSchemas.logLevel>;
}

export function loadAgentConfig(env: Env = process.env): AgentConfig {
  const parsed = parseEnv(agentEnvSchema, env);
  return {
    redisUrl: parsed.REDIS_URL,
    host: parsed.MODFLEET_HOST,
    port: parsed.MODFLEET_PORT,
    dataDir: parsed.MODFLEET_DATA_DIR,
    prefix: parsed.MODFLEET_PREFIX,
    coordinatorUrl: parsed.MODFLEET_COORDINATOR_URL,
    nodeId: parsed.MODFLEET_NODE_ID,
    clusterSecret: parsed.MODFLEET_CLUSTER_SECRET,
    maxArtifactBytes: parsed.MODFLEET_MAX_ARTIFACT_BYTES,
    tls: tlsOption(parsed.MODFLEET_TLS_CERT, parsed.MODFLEET_TLS_KEY),
    metricsPublic: parsed.MODFLEET_METRICS_PUBLIC,
    redisServer: parsed.MODFLEET_REDIS_SERVER,
    logLevel: parsed.LOG_LEVEL,
  };
}
