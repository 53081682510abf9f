import { join } from 'node:path';
import { startAgent, type AgentConfig, type RunningAgent } from '@modfleet/agent';
import { createLogger } from '@modfleet/common';
import { startCoordinator, type CoordinatorConfig, type RunningCoordinator } from '@modfleet/coordinator';
import type { Credentials } from './http.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

export const ADMIN: Credentials = { email: 'admin@test.local', password: 'admin-password-1' };
export const CLUSTER_SECRET = 'test-cluster-secret-0123456789';

export interface TestCluster {
  prefix: string;
  dataDir: string;
  coordinator: RunningCoordinator;
  agents: RunningAgent[];
  agentConfigs: AgentConfig[];
  /** Starts (or restarts) agent `index` with its original config. */
  restartAgent(index: number): Promise<RunningAgent>;
  stop(): Promise<void>;
}

const silent = (name: string) => createLogger({ name, level: 'silent' });

export function coordinatorConfig(
  prefix: string,
  dataDir: string,
  overrides: Partial<CoordinatorConfig> = {},
): CoordinatorConfig {
  return {
    redisUrl: REDIS_URL,
    redisSentinels: undefined,
    redisSentinelMaster: undefined,
    redisSentinelPassword: undefined,
    redisClusterNodes: undefined,
    host: '127.0.0.1',
    port: 0,
    httpPort: 0,
    dataDir: join(dataDir, 'coordinator'),
    prefix,
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    clusterSecret: CLUSTER_SECRET,
    maxArtifactBytes: 1024 ** 3,
    tls: undefined,
    tlsCa: undefined,
    tlsCaKey: undefined,
    metricsPublic: false,
    logLevel: 'silent',
    ...overrides,
  };
}

export function agentConfig(
  prefix: string,
  dataDir: string,
  node: number,
  overrides: Partial<AgentConfig> = {},
): AgentConfig {
  return {
    redisUrl: REDIS_URL,
    redisSentinels: undefined,
    redisSentinelMaster: undefined,
    redisSentinelPassword: undefined,
    redisClusterNodes: undefined,
    host: '127.0.0.1',
    port: 0,
    httpPort: 0,
    dataDir: join(dataDir, `node-${node}`),
    prefix,
    coordinatorUrl: undefined,
    nodeId: node,
    clusterSecret: CLUSTER_SECRET,
    maxArtifactBytes: 1024 ** 3,
    tls: undefined,
    tlsCa: undefined,
    metricsPublic: false,
    redisServer: 'redis-server',
    logLevel: 'silent',
    ...overrides,
  };
}

/**
 * The service as the suite calls it: over its plain HTTP port (the services serve HTTPS too, with
 * generated certificates; test/integration/tls.test.ts covers that side).
 */
function overHttp<Service extends { url: string; httpUrl: string | undefined }>(service: Service): Service {
  if (!service.httpUrl) throw new Error('the service under test serves no plain HTTP: give it httpPort');
  return Object.assign(service, { url: service.httpUrl });
}

/** Coordinator + N agents in this process, on port 0, against the real Redis under a fresh prefix. */
export async function startTestCluster(
  options: { nodes?: number; agent?: Partial<AgentConfig>; coordinator?: Partial<CoordinatorConfig> } = {},
): Promise<TestCluster> {
  const prefix = uniquePrefix();
  const dataDir = await makeTmpDir();
  const coordinator = overHttp(
    await startCoordinator(coordinatorConfig(prefix, dataDir, options.coordinator), silent('coordinator')),
  );
  const agentConfigs = Array.from({ length: options.nodes ?? 1 }, (_unused, index) =>
    agentConfig(prefix, dataDir, index + 1, { ...options.agent, coordinatorUrl: [coordinator.url] }),
  );
  const agents = await Promise.all(
    agentConfigs.map(async config => overHttp(await startAgent(config, silent('agent')))),
  );
  const cluster: TestCluster = {
    prefix,
    dataDir,
    coordinator,
    agents,
    agentConfigs,
    async restartAgent(index) {
      await agents[index]?.stop(1_000).catch(() => undefined);
      const restarted = overHttp(await startAgent(agentConfigs[index]!, silent('agent')));
      agents[index] = restarted;
      return restarted;
    },
    async stop() {
      await Promise.allSettled(agents.map(agent => agent.stop(1_000)));
      await coordinator.stop(1_000);
      await deletePrefix(prefix);
      await removeDir(dataDir);
    },
  };
  return cluster;
}
