import { DEFAULT_TIMINGS, nodeAddr, type NodeHostFacts, type NodeView } from '@modfleet/common';

/** A node is `down` once it has missed heartbeats for this long (production's; tests shrink it). */
export const NODE_DOWN_AFTER_MS = DEFAULT_TIMINGS.nodeDownAfterMs;

/** What the registry keeps per node. */
export interface NodeRecord {
  uid: number;
  /** The agent's base URL, as it registered it. */
  addr: string;
  instance_id: string;
  registered_at: string;
  /** Absent for an agent that did not report its host. */
  host?: NodeHostFacts | undefined;
}

/** The host facts of a node that reported none: RS's empty values. */
const UNKNOWN_HOST: NodeHostFacts = {
  architecture: '',
  cores: 0,
  total_memory: 0,
  os_family: '',
  os_name: '',
  os_semantic_version: '',
  os_version: '',
  boot_time: '',
  software_version: '',
  persistent_storage_path: '',
  persistent_storage_size: 0,
  ephemeral_storage_path: '',
  ephemeral_storage_size: 0,
  supported_database_versions: [],
};

/**
 * The RS node object. Host facts come from the agent's registration; what modfleet has no
 * counterpart for (flash, racks, listeners) shows RS's defaults: no flash storage, no rack, and the
 * cluster-wide limits (-1) for forks and syncs. `shard_count`/`shard_list` start empty; the node
 * routes fill them from the databases' shard placements (node-shards.ts).
 */
export function toNodeObject(
  record: NodeRecord,
  lastHeartbeat: number | null,
  now: number,
  apiPort?: number,
  downAfterMs = NODE_DOWN_AFTER_MS,
): NodeView {
  const { boot_time, ...host } = { ...UNKNOWN_HOST, ...record.host };
  const booted = Date.parse(boot_time);
  return {
    uid: record.uid,
    addr: nodeAddr(record.addr, apiPort),
    url: record.addr,
    status: lastHeartbeat !== null && now - lastHeartbeat <= downAfterMs ? 'active' : 'down',
    accept_servers: true,
    ...host,
    bigredis_storage_path: '',
    bigstore_driver: '',
    bigstore_enabled: false,
    bigstore_size: 0,
    external_addr: [],
    max_listeners: 100,
    max_redis_forks: -1,
    max_redis_servers: 100,
    max_slave_full_syncs: -1,
    public_addr: '',
    rack_id: '',
    recovery_path: '',
    second_rack_id: '',
    shard_count: 0,
    shard_list: [],
    system_time: new Date(now).toISOString(),
    uptime: Number.isNaN(booted) ? 0 : Math.max(0, Math.floor((now - booted) / 1000)),
    use_internal_ipv6: false,
    last_heartbeat: lastHeartbeat === null ? null : new Date(lastHeartbeat).toISOString(),
    registered_at: record.registered_at,
  };
}
