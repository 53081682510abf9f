import type { ActionObject, FleetArtifactView, LocalArtifactListing, NodeView } from '@modfleet/common';
import type { ApiResponse, Credentials } from './http.js';
import type { WaitOptions } from './poll.js';
import type { Env, Exit, Service } from './processes.js';

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
  /** The Redis key/queue prefix (default: one no other test uses). */
  prefix?: string;
  /** Agents started and registered before returning (default 3). */
  nodes?: number;
  /** Extra environment for the coordinator (e.g. MODFLEET_MAX_ARTIFACT_BYTES). */
  coordinatorEnv?: Env;
  /** Extra environment for every agent. */
  agentEnv?: Env;
}

export interface CallOptions {
  method?: string;
  /** Default: the fleet admin; `null`: no credentials. */
  credentials?: Credentials | null;
  json?: unknown;
  form?: FormData;
}

/** The cluster's HTTP API, as its tests call it. */
export interface FleetClient {
  /** A request to the coordinator, as the admin unless `credentials` says otherwise (`null`: none). */
  api<T = unknown>(path: string, options?: CallOptions): Promise<ApiResponse<T>>;
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
}

/** Starting, stopping and pausing the cluster's processes. */
export interface FleetLifecycle {
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

export interface FleetCluster extends FleetClient, FleetLifecycle {
  readonly prefix: string;
  readonly admin: Credentials;
  readonly coordinator: FleetCoordinator;
  /** Sorted by node uid at start: `agents[i].uid === i + 1` for the agents started together. */
  readonly agents: FleetAgent[];
  /** The agent holding node uid `uid`. */
  agent(uid: number): FleetAgent;
}
