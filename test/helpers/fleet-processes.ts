import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, routes, type NodeView } from '@modfleet/common';
import { fleetCall } from './fleet-client.js';
import {
  FLEET_ADMIN,
  FLEET_SECRET,
  type FleetAgent,
  type FleetClusterOptions,
  type FleetCoordinator,
  type FleetLifecycle,
} from './fleet-types.js';
import { pollFor } from './poll.js';
import { freePort, runModfleet, servicePorts, waitHealthy, type Env, type Service } from './processes.js';
import { deletePrefix, REDIS_URL } from './redis.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

// Generous: ten agents asking for certificates at once on a loaded 2-core machine take a while.
const STARTUP_TIMEOUT_MS = 60_000;

async function readNodeJson(dataDir: string): Promise<number | undefined> {
  try {
    const { uid } = JSON.parse(await readFile(join(dataDir, 'node.json'), 'utf8')) as { uid?: unknown };
    return typeof uid === 'number' ? uid : undefined;
  } catch {
    return undefined;
  }
}

export interface FleetProcesses extends FleetLifecycle {
  readonly coordinator: FleetCoordinator;
  /** Every agent slot, in the order they were added (the caller sorts the initial ones by uid). */
  readonly agents: FleetAgent[];
  /** A new agent slot (fresh data dir and port), not started yet. */
  newAgent(env?: Env): Promise<FleetAgent>;
  spawnAgent(agent: FleetAgent): Promise<void>;
  /** Waits until the agent wrote its uid and the coordinator lists it active. */
  awaitRegistration(agent: FleetAgent): Promise<void>;
}

/**
 * The processes of one fleet under `prefix`: a coordinator slot (on a free port, not started yet)
 * and the agent slots added later. Every process and data dir is tracked for `stop()`.
 */
export async function createFleetProcesses(prefix: string, options: FleetClusterOptions): Promise<FleetProcesses> {
  const dirs: string[] = [];
  const processes: Service[] = [];
  const shared: Env = { REDIS_URL, MODFLEET_PREFIX: prefix, MODFLEET_CLUSTER_SECRET: FLEET_SECRET };
  const coordinatorDir = await makeTmpDir('modfleet-fleet-coordinator');
  dirs.push(coordinatorDir);
  const coordinatorPort = await freePort();
  const coordinator: FleetCoordinator = {
    port: coordinatorPort,
    url: `http://127.0.0.1:${coordinatorPort}`,
    dataDir: coordinatorDir,
    process: undefined,
    history: [],
  };
  const coordinatorEnv: Env = {
    ...shared,
    MODFLEET_DATA_DIR: coordinatorDir,
    MODFLEET_ADMIN_EMAIL: FLEET_ADMIN.email,
    MODFLEET_ADMIN_PASSWORD: FLEET_ADMIN.password,
    ...options.coordinatorEnv,
  };
  const agents: FleetAgent[] = [];
  const agentEnvs = new Map<FleetAgent, Env>();

  /**
   * What processes.ts `startService` does, but the handle is tracked before the health check,
   * so stop() also kills a process that never became healthy.
   */
  async function spawn(command: 'coordinator' | 'agent', port: number, env: Env): Promise<Service> {
    const handle = runModfleet([command], { LOG_LEVEL: 'info', ...env, ...(await servicePorts(port)) }, command);
    const service = Object.assign(handle, { port, url: `http://127.0.0.1:${port}` });
    processes.push(service);
    await waitHealthy(service.url, service, STARTUP_TIMEOUT_MS);
    return service;
  }

  async function spawnCoordinator(): Promise<FleetCoordinator> {
    const service = await spawn('coordinator', coordinator.port, coordinatorEnv);
    coordinator.process = service;
    coordinator.history.push(service);
    return coordinator;
  }

  const fleet: FleetProcesses = {
    coordinator,
    agents,
    async newAgent(env = {}) {
      const dataDir = await makeTmpDir('modfleet-fleet-agent');
      dirs.push(dataDir);
      const port = await freePort();
      const agent: FleetAgent = {
        name: `agent@${port}`,
        port,
        url: `http://127.0.0.1:${port}`,
        dataDir,
        tmpDir: join(dataDir, 'tmp'),
        uid: 0,
        process: undefined,
        history: [],
      };
      agentEnvs.set(agent, { ...shared, ...options.agentEnv, ...env });
      return agent;
    },
    async spawnAgent(agent) {
      const service = await spawn('agent', agent.port, {
        ...agentEnvs.get(agent),
        MODFLEET_DATA_DIR: agent.dataDir,
        MODFLEET_COORDINATOR_URL: coordinator.url,
      });
      agent.process = service;
      agent.history.push(service);
    },
    async awaitRegistration(agent) {
      const uid = await pollFor(
        () => readNodeJson(agent.dataDir),
        value => value !== undefined,
        `${agent.name} registered (node.json written)`,
        { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
      );
      agent.uid = uid!;
      await pollFor(
        () => fleetCall<NodeView>(coordinator.url, pathTo(routes.node, { uid: agent.uid })),
        res => res.status === 200 && res.body.status === 'active' && res.body.addr === agent.url,
        `node ${agent.uid} (${agent.name}) active on the coordinator`,
        { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
      );
    },

    async addAgent(env) {
      const agent = await fleet.newAgent(env);
      agents.push(agent);
      await fleet.spawnAgent(agent);
      await fleet.awaitRegistration(agent);
      return agent;
    },
    async startAgent(agent) {
      if (agent.process?.isRunning()) throw new Error(`${agent.name} is already running`);
      await fleet.spawnAgent(agent);
      await fleet.awaitRegistration(agent);
      return agent;
    },
    async stopAgent(agent, signal = 'SIGTERM') {
      if (!agent.process) throw new Error(`${agent.name} was never started`);
      return agent.process.stop(signal);
    },
    async killAgent(agent) {
      if (!agent.process) throw new Error(`${agent.name} was never started`);
      return agent.process.kill();
    },
    async restartAgent(agent, signal = 'SIGTERM') {
      if (agent.process?.isRunning()) await fleet.stopAgent(agent, signal);
      return fleet.startAgent(agent);
    },
    pauseAgent(agent) {
      agent.process?.child.kill('SIGSTOP');
    },
    resumeAgent(agent) {
      agent.process?.child.kill('SIGCONT');
    },
    async startCoordinator() {
      if (coordinator.process?.isRunning()) throw new Error('the coordinator is already running');
      return spawnCoordinator();
    },
    async stopCoordinator(signal = 'SIGTERM') {
      if (!coordinator.process) throw new Error('the coordinator was never started');
      return coordinator.process.stop(signal);
    },
    async killCoordinator() {
      if (!coordinator.process) throw new Error('the coordinator was never started');
      return coordinator.process.kill();
    },
    async restartCoordinator(signal = 'SIGTERM') {
      if (coordinator.process?.isRunning()) await fleet.stopCoordinator(signal);
      return spawnCoordinator();
    },
    async stop() {
      await Promise.all(processes.map(service => service.kill()));
      await deletePrefix(prefix);
      await Promise.all(dirs.map(dir => removeDir(dir)));
    },
  };
  return fleet;
}
