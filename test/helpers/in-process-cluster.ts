import { setTimeout } from 'node:timers/promises';
import { join } from 'node:path';
import { loadAgentConfig, startAgent, type AgentConfig, type RunningAgent } from '@modfleet/agent';
import { createLogger } from '@modfleet/common';
import {
  loadCoordinatorConfig,
  startCoordinator,
  type CoordinatorConfig,
  type RunningCoordinator,
} from '@modfleet/coordinator';
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

/**
 * What both services get in the suite, as the variables a user would set, so a service variable
 * added to the registry reaches the tests with its default and no change here: the real Redis,
 * 127.0.0.1, HTTPS on a free port, quiet logs.
 */
const sharedEnv = (prefix: string) => ({
  REDIS_URL,
  MODFLEET_HOST: '127.0.0.1',
  MODFLEET_PORT: '0',
  MODFLEET_PREFIX: prefix,
  MODFLEET_CLUSTER_SECRET: CLUSTER_SECRET,
  LOG_LEVEL: 'silent',
});

/** Plain HTTP on a free port too, the one the suite calls (a variable cannot say so: 0 there means off). */
const ALSO_PLAIN_HTTP = { httpPort: 0 } as const;

export function coordinatorConfig(
  prefix: string,
  dataDir: string,
  overrides: Partial<CoordinatorConfig> = {},
): CoordinatorConfig {
  const env = {
    ...sharedEnv(prefix),
    MODFLEET_DATA_DIR: join(dataDir, 'coordinator'),
    MODFLEET_ADMIN_EMAIL: ADMIN.email,
    MODFLEET_ADMIN_PASSWORD: ADMIN.password,
    MODFLEET_ALLOW_HTTP_NODES: 'true', // the suite's agents register their plain HTTP addr
  };
  return { ...loadCoordinatorConfig(env), ...ALSO_PLAIN_HTTP, ...overrides };
}

export function agentConfig(
  prefix: string,
  dataDir: string,
  node: number,
  overrides: Partial<AgentConfig> = {},
): AgentConfig {
  const env = {
    ...sharedEnv(prefix),
    MODFLEET_DATA_DIR: join(dataDir, `node-${node}`),
    MODFLEET_NODE_ID: String(node),
  };
  return { ...loadAgentConfig(env), ...ALSO_PLAIN_HTTP, ...overrides };
}

/**
 * The service as the suite calls it: over its plain HTTP port (the services serve HTTPS too, with
 * generated certificates; test/e2e/tls.test.ts and test/soak/tls-lifecycle.test.ts cover that side).
 */
function overHttp<Service extends { url: string; httpUrl: string | undefined }>(service: Service): Service {
  if (!service.httpUrl) throw new Error('the service under test serves no plain HTTP: give it httpPort');
  return Object.assign(service, { url: service.httpUrl });
}

/** Registration on a loaded machine takes well under this: past it, something refuses the agent. */
const REGISTRATION_TIMEOUT_MS = 30_000;

/**
 * An agent that has registered: a test's first push targets it (a push sent before the agent's
 * record exists would have no node to go to).
 */
async function startRegisteredAgent(config: AgentConfig): Promise<RunningAgent> {
  const agent = overHttp(await startAgent(config, silent('agent')));
  const timeout = setTimeout(REGISTRATION_TIMEOUT_MS, 'timeout' as const, { ref: false });
  if ((await Promise.race([agent.registered, timeout])) === 'timeout') {
    await agent.stop(1_000);
    throw new Error(`agent ${config.nodeId ?? ''} did not register within ${REGISTRATION_TIMEOUT_MS} ms`);
  }
  return agent;
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
  const agents = await Promise.all(agentConfigs.map(config => startRegisteredAgent(config)));
  const cluster: TestCluster = {
    prefix,
    dataDir,
    coordinator,
    agents,
    agentConfigs,
    async restartAgent(index) {
      await agents[index]?.stop(1_000).catch(() => undefined);
      // Not waited for: the old process's heartbeat holds its uid for a few seconds more.
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
