// What the coordinator and agents answer, as the wire carries it (JSON): the one definition that
// the services, the CLI, the status page and the tests share.
import type { LoadCheck } from '../modules/load-check-types.js';
import type { Role } from '../roles.js';

/** Every error body, as RS sends it: `{"error_code": "<snake_case>", "description": "<text>"}`. */
export interface RsErrorBody {
  error_code: string;
  description: string;
}

/**
 * GET /healthz: the pid lets a supervisor (modfleet up) tell its own child from another program
 * on the port; it is shown to callers on this machine (loopback) only.
 */
export interface HealthAnswer {
  status: 'ok' | 'redis_unavailable' | 'ccs_lost';
  pid?: number;
  /** Why the service is not healthy, for people (absent when healthy). */
  reason?: string;
}

/** One entry of `supported_database_versions`: the redis-server this node runs modules in. */
export interface SupportedDatabaseVersion {
  db_type: 'redis';
  /** Full version, e.g. `7.0.15`. */
  version: string;
  /** Major.minor, e.g. `7.0` (what live RS clusters add beside `version`). */
  redis_version: string;
}

/** What an agent reports about its host when it registers; the node object is built from it. */
export interface NodeHostFacts {
  architecture: string;
  cores: number;
  total_memory: number;
  os_family: string;
  os_name: string;
  os_semantic_version: string;
  os_version: string;
  /** When the host booted (ISO 8601): `uptime` is counted from it at each read. */
  boot_time: string;
  software_version: string;
  persistent_storage_path: string;
  persistent_storage_size: number;
  ephemeral_storage_path: string;
  ephemeral_storage_size: number;
  supported_database_versions: SupportedDatabaseVersion[];
}

/** GET /v1/nodes, /v1/nodes/<uid>: every field of RS's node object, plus modfleet's `last_heartbeat` and `registered_at`. */
export interface NodeView {
  uid: number;
  /** As in RS: the node's address (`https://$addr:9443` reaches it); its base URL when it serves elsewhere. */
  addr: string;
  /** The node's base URL, always whole: what modfleet itself calls. */
  url: string;
  status: 'active' | 'down';
  accept_servers: boolean;
  architecture: string;
  bigredis_storage_path: string;
  bigstore_driver: string;
  bigstore_enabled: boolean;
  bigstore_size: number;
  cores: number;
  ephemeral_storage_path: string;
  ephemeral_storage_size: number;
  external_addr: string[];
  max_listeners: number;
  max_redis_forks: number;
  max_redis_servers: number;
  max_slave_full_syncs: number;
  os_family: string;
  os_name: string;
  os_semantic_version: string;
  os_version: string;
  persistent_storage_path: string;
  persistent_storage_size: number;
  public_addr: string;
  rack_id: string;
  recovery_path: string;
  second_rack_id: string;
  shard_count: number;
  shard_list: number[];
  software_version: string;
  supported_database_versions: SupportedDatabaseVersion[];
  /** The coordinator's clock when it answered (UTC, ISO 8601). */
  system_time: string;
  total_memory: number;
  /** Seconds since the node's host booted. */
  uptime: number;
  use_internal_ipv6: boolean;
  last_heartbeat: string | null;
  registered_at: string;
}

export type NodeArtifactState = 'installed' | 'pending' | 'missing' | 'mismatch' | 'failed' | 'not_targeted';

/** One node's entry under `nodes` in the fleet view. */
export interface NodeArtifactView {
  state: NodeArtifactState;
  sha256?: string;
  action_uid?: string;
  error?: string;
  /** The node's module load check: of what it holds, else of its last install attempt. */
  load_check?: LoadCheck;
}

/** GET /v2/modules/user-defined/artifacts: one artifact against every node. */
export interface FleetArtifactView {
  module_name: string;
  version: number;
  /** false for an artifact found on nodes that the fleet never pushed (a local upload). */
  in_fleet: boolean;
  sha256: string | null;
  size: number | null;
  target_nodes: 'all' | number[];
  /** Keyed by node uid. */
  nodes: Record<string, NodeArtifactView>;
}

/** GET /v2/local/modules/user-defined/artifacts: one entry per artifact on the node (the RS shape). */
export interface LocalArtifactListing {
  module_name: string;
  version: number;
  dependencies: string[];
}

/** 200 body of POST /v2/local/modules/user-defined/artifacts. */
export interface UploadedArtifact extends LocalArtifactListing {
  sha256: string;
  size: number;
  /** This node's load check, made before the install. */
  load_check?: LoadCheck;
}

/** GET/PUT /v1/cluster. */
export interface ClusterSettingsView {
  name: string;
  allow_modules_upload: boolean;
  /** What nodes do after receiving a module: `warn` until set. */
  module_load_check: 'off' | 'warn' | 'enforce';
  /** RS login lockout: failed logins that lock a user (0: never locked). */
  login_lockout_threshold: number;
  /** Seconds a locked user stays locked (0: until an admin resets the password). */
  login_lockout_duration: number;
  /** Seconds without a failed login after which the count starts again. */
  login_lockout_counter_reset_after: number;
}

/** /v1/users answers: never the password or its hash. */
export interface UserView {
  uid: number;
  email: string;
  name: string;
  role: Role;
  auth_method: 'regular';
  /** `locked` while the user is locked out after failed logins. */
  status: 'active' | 'locked';
  password_issue_date: string;
}

/** Body of POST /internal/nodes/register, signed with the cluster secret. */
export interface NodeRegistrationRequest {
  /** A uid the agent claims (MODFLEET_NODE_ID); the coordinator assigns one otherwise. */
  uid?: number | undefined;
  /** The agent's base URL. */
  addr: string;
  instance_id: string;
  /** The host's facts for the node object (absent from agents that predate them: RS defaults are shown). */
  host?: NodeHostFacts | undefined;
  /** A PEM certificate request: the agent asks the coordinator to sign its certificate with the cluster CA. */
  csr?: string | undefined;
}

export interface NodeRegistrationAnswer {
  uid: number;
  /** true when this uid was not a member before (first start, or rejoining after removal). */
  joined: boolean;
  /** The action that brings a joining node up to the fleet's artifacts. */
  welcome_action_uid?: string;
  /** The agent's certificate signed by the cluster CA (PEM), when it sent a request. */
  certificate?: string;
}

/** GET /v2/local/modules/user-defined/artifacts/inventory[?deep=true] (agent). */
/** What re-reading an artifact's zip found, against the sha256 and size recorded at install. */
export interface DiskCheck {
  /** ok: same bytes; corrupt: other bytes (bit rot, tampering); unreadable: the file is gone or cannot be read. */
  status: 'ok' | 'corrupt' | 'unreadable';
  sha256?: string;
  size?: number;
  error?: string;
}

/** One artifact as this node holds it: the RS listing plus what verification needs. */
export interface InventoryEntry {
  module_name: string;
  version: number;
  dependencies: string[];
  semantic_version: string;
  sha256: string;
  size: number;
  installed_at: string;
  /** Present only for a deep check. */
  disk?: DiskCheck;
  /** The module load check this node made when it installed the artifact, if it made one. */
  load_check?: LoadCheck;
}

export interface NodeInventory {
  /** This node's uid in the cluster, null while not (yet) registered or when standalone. */
  node_uid: number | null;
  deep: boolean;
  checked_at: string;
  artifacts: InventoryEntry[];
}
