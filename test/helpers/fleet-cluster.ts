import { readdir, readFile } from 'node:fs/promises';
import {
  pathTo,
  routes,
  type ActionObject,
  type FleetArtifactView,
  type LocalArtifactListing,
  type NodeView,
} from '@modfleet/common';
import { join } from 'node:path';
import { api, artifactForm, type ApiResponse, type Credentials } from './http.js';
import { freePort, runModfleet, sleep, waitHealthy, type Env, type Exit, type Service } from './processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

export const FLEET_ADMIN: Credentials = { email: 'admin@fleet.local', password: 'fleet-admin-password-1' };
export const FLEET_SECRET = 'fleet-e2e-cluster-secret-0123456789';

export type {
  ActionObject,
  ActionStatus,
  FleetArtifactView,
  NodeArtifactView as FleetNodeState,
  NodeView,
  OpStatus,
  PendingOp,
} from '@modfleet/common';
export type LocalListing = LocalArtifactListing;

/** One `modfleet agent` process slot: its port and data dir survive restarts. */
export interface FleetAgent {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** `<dataDir>/tmp`: downloads and uploads in progress. */
  readonly tmpDir: string;
  /** The node uid from `<dataDir>/node.json`, once registered. */
  uid: number;
  /** The running process (the latest one after a restart). */
  process: Service | undefined;
  /** Every process this slot ran, oldest first (for log checks across restarts). */
  readonly history: Service[];
}

export interface FleetCoordinator {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  process: Service | undefined;
  readonly history: Service[];
}

export interface FleetClusterOptions {
  /** Agents started and registered before returning (default 3). */
  nodes?: number;
  /** Extra environment for the coordinator (e.g. MODFLEET_MAX_ARTIFACT_BYTES). */
  coordinatorEnv?: Env;
  /** Extra environment for every agent. */
  agentEnv?: Env;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export interface FleetCluster {
  readonly prefix: string;
  readonly admin: Credentials;
  readonly coordinator: FleetCoordinator;
  /** Sorted by node uid at start: `agents[i].uid === i + 1` for the agents started together. */
  readonly agents: FleetAgent[];
  /** The agent holding node uid `uid`. */
  agent(uid: number): FleetAgent;

  /** A request to the coordinator, as the admin unless `credentials` says otherwise (`null`: none). */
  api<T = unknown>(
    path: string,
    options?: { method?: string; credentials?: Credentials | null; json?: unknown; form?: FormData },
  ): Promise<ApiResponse<T>>;
  /** A request to one agent's local API, as the admin. */
  agentApi<T = unknown>(
    agent: FleetAgent,
    path: string,
    options?: { method?: string; json?: unknown; form?: FormData },
  ): Promise<ApiResponse<T>>;
  /** POST /v2/modules/user-defined/artifacts with the zip (as a Buffer or a ready form). */
  push(
    zip: Buffer | FormData,
    options?: { nodes?: string; credentials?: Credentials | null },
  ): Promise<ApiResponse<{ action_uid?: string; error_code?: string }>>;
  action(uid: string): Promise<ActionObject>;
  /** Polls GET /v2/actions/<uid> until `done(action)` (default: a terminal status); throws with the last one seen. */
  waitForAction(
    uid: string,
    options?: WaitOptions & { done?: (action: ActionObject) => boolean },
  ): Promise<ActionObject>;
  actions(): Promise<ActionObject[]>;
  fleetView(): Promise<FleetArtifactView[]>;
  /** Polls the fleet view until `check(view)` holds; returns that view. */
  waitForFleetView(
    check: (view: FleetArtifactView[]) => boolean,
    message: string,
    options?: WaitOptions,
  ): Promise<FleetArtifactView[]>;
  nodes(): Promise<NodeView[]>;
  /** Polls GET /v1/nodes until exactly these uids are listed, all `active` (default: every running agent). */
  waitForNodes(uids?: number[], options?: WaitOptions): Promise<NodeView[]>;
  localArtifacts(agent: FleetAgent): Promise<LocalListing[]>;

  /** Starts another agent with a fresh data dir and waits for its registration. */
  addAgent(env?: Env): Promise<FleetAgent>;
  /** Starts (again) a stopped agent with the same port and data dir; waits until it is active. */
  startAgent(agent: FleetAgent): Promise<FleetAgent>;
  stopAgent(agent: FleetAgent, signal?: NodeJS.Signals): Promise<Exit>;
  killAgent(agent: FleetAgent): Promise<Exit>;
  restartAgent(agent: FleetAgent, signal?: NodeJS.Signals): Promise<FleetAgent>;
  /** SIGSTOP / SIGCONT: the process stays, but takes no job and sends no heartbeat meanwhile. */
  pauseAgent(agent: FleetAgent): void;
  resumeAgent(agent: FleetAgent): void;
  startCoordinator(): Promise<FleetCoordinator>;
  stopCoordinator(signal?: NodeJS.Signals): Promise<Exit>;
  killCoordinator(): Promise<Exit>;
  restartCoordinator(signal?: NodeJS.Signals): Promise<FleetCoordinator>;

  /** SIGKILLs every process this cluster started, deletes its Redis prefix and every data dir. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;

/** Polls `read` until `check` holds, returning the value; throws with the last value seen after the deadline. */
export async function pollFor<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  message: string,
  { timeoutMs = 15_000, intervalMs = 100 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (check(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError instanceof Error ? lastError.message : JSON.stringify(last, null, 2);
      throw new Error(`timed out after ${timeoutMs} ms: ${message}; last seen: ${seen}`);
    }
    await sleep(intervalMs);
  }
}

/** Like Promise.all, but waits for every promise before rejecting: nothing is still starting when stop() runs. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find(result => result.status === 'rejected');
  if (failed) throw failed.reason;
}

async function readNodeJson(dataDir: string): Promise<number | undefined> {
  try {
    const { uid } = JSON.parse(await readFile(join(dataDir, 'node.json'), 'utf8')) as { uid?: unknown };
    return typeof uid === 'number' ? uid : undefined;
  } catch {
    return undefined;
  }
}

/** Files in a folder (none when it does not exist). */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/**
 * A coordinator and N agents as real `modfleet` processes on free ports, sharing one Redis
 * under a prefix no other test uses. Every agent has its own data dir; restarts keep port and dir.
 */
export async function startFleetCluster(options: FleetClusterOptions = {}): Promise<FleetCluster> {
  const prefix = uniquePrefix();
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

  const call = <T>(
    base: string,
    path: string,
    opts: { method?: string; credentials?: Credentials | null; json?: unknown; form?: FormData } = {},
  ) => {
    const credentials = opts.credentials === null ? undefined : (opts.credentials ?? FLEET_ADMIN);
    return api<T>(`${base}${path}`, {
      ...(opts.method && { method: opts.method }),
      ...(credentials && { credentials }),
      ...(opts.json !== undefined && { json: opts.json }),
      ...(opts.form && { form: opts.form }),
    });
  };
  const ok = <T>(res: ApiResponse<T>, what: string): T => {
    if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /**
   * What processes.ts `startService` does, but the handle is tracked before the health check,
   * so stop() also kills a process that never became healthy.
   */
  async function spawn(command: 'coordinator' | 'agent', port: number, env: Env): Promise<Service> {
    const handle = runModfleet([command], { LOG_LEVEL: 'info', ...env, MODFLEET_PORT: String(port) }, command);
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

  async function spawnAgent(agent: FleetAgent): Promise<void> {
    const service = await spawn('agent', agent.port, {
      ...agentEnvs.get(agent),
      MODFLEET_DATA_DIR: agent.dataDir,
      MODFLEET_COORDINATOR_URL: coordinator.url,
    });
    agent.process = service;
    agent.history.push(service);
  }

  /** Waits until the agent wrote its uid and the coordinator lists it active. */
  async function awaitRegistration(agent: FleetAgent): Promise<void> {
    const uid = await pollFor(
      () => readNodeJson(agent.dataDir),
      value => value !== undefined,
      `${agent.name} registered (node.json written)`,
      { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
    );
    agent.uid = uid!;
    await pollFor(
      () => call<NodeView>(coordinator.url, pathTo(routes.node, { uid: agent.uid })),
      res => res.status === 200 && res.body.status === 'active' && res.body.addr === agent.url,
      `node ${agent.uid} (${agent.name}) active on the coordinator`,
      { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
    );
  }

  async function newAgent(env: Env = {}): Promise<FleetAgent> {
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
  }

  const cluster: FleetCluster = {
    prefix,
    admin: FLEET_ADMIN,
    coordinator,
    agents,
    agent(uid) {
      const found = agents.find(agent => agent.uid === uid);
      if (!found) throw new Error(`no agent holds node uid ${uid}`);
      return found;
    },

    api: (path, opts) => call(coordinator.url, path, opts),
    agentApi: (agent, path, opts) => call(agent.url, path, opts),
    push(zip, { nodes, credentials } = {}) {
      let form: FormData;
      if (zip instanceof FormData) {
        form = zip;
      } else {
        form = new FormData();
        if (nodes !== undefined) form.append('nodes', nodes);
        for (const [name, value] of artifactForm(zip)) form.append(name, value);
      }
      return call(coordinator.url, routes.fleetArtifacts, {
        method: 'POST',
        form,
        ...(credentials !== undefined && { credentials }),
      });
    },
    async action(uid) {
      const path = pathTo(routes.action, { uid });
      return ok(await call<ActionObject>(coordinator.url, path), `GET ${path}`);
    },
    waitForAction(uid, { done, ...wait } = {}) {
      const finished = done ?? ((action: ActionObject) => ['completed', 'failed'].includes(action.status));
      return pollFor(() => cluster.action(uid), finished, `action ${uid} to finish`, { timeoutMs: 30_000, ...wait });
    },
    async actions() {
      return ok(await call<ActionObject[]>(coordinator.url, routes.actions), `GET ${routes.actions}`);
    },
    async fleetView() {
      return ok(
        await call<FleetArtifactView[]>(coordinator.url, routes.fleetArtifacts),
        `GET ${routes.fleetArtifacts}`,
      );
    },
    waitForFleetView(check, message, wait) {
      return pollFor(() => cluster.fleetView(), check, message, { timeoutMs: 10_000, ...wait });
    },
    async nodes() {
      return ok(await call<NodeView[]>(coordinator.url, routes.nodes), `GET ${routes.nodes}`);
    },
    waitForNodes(uids, wait) {
      const expected = (uids ?? agents.filter(agent => agent.process?.isRunning()).map(agent => agent.uid)).sort(
        (a, b) => a - b,
      );
      return pollFor(
        () => cluster.nodes(),
        nodes =>
          JSON.stringify(nodes.map(node => node.uid)) === JSON.stringify(expected) &&
          nodes.every(node => node.status === 'active'),
        `nodes ${expected.join(',')} all active`,
        { timeoutMs: STARTUP_TIMEOUT_MS, ...wait },
      );
    },
    async localArtifacts(agent) {
      return ok(
        await call<LocalListing[]>(agent.url, routes.localArtifacts),
        `GET ${agent.url}${routes.localArtifacts}`,
      );
    },

    async addAgent(env) {
      const agent = await newAgent(env);
      agents.push(agent);
      await spawnAgent(agent);
      await awaitRegistration(agent);
      return agent;
    },
    async startAgent(agent) {
      if (agent.process?.isRunning()) throw new Error(`${agent.name} is already running`);
      await spawnAgent(agent);
      await awaitRegistration(agent);
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
      if (agent.process?.isRunning()) await cluster.stopAgent(agent, signal);
      return cluster.startAgent(agent);
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
      if (coordinator.process?.isRunning()) await cluster.stopCoordinator(signal);
      return spawnCoordinator();
    },

    async stop() {
      await Promise.all(processes.map(service => service.kill()));
      await deletePrefix(prefix);
      await Promise.all(dirs.map(dir => removeDir(dir)));
    },
  };

  try {
    await spawnCoordinator();
    const initial = await Promise.all(Array.from({ length: options.nodes ?? 3 }, () => newAgent()));
    await settleAll(initial.map(agent => spawnAgent(agent)));
    await settleAll(initial.map(agent => awaitRegistration(agent)));
    agents.push(...initial.sort((a, b) => a.uid - b.uid));
    await cluster.waitForNodes();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
