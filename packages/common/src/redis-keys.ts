/** `<module_name>@<version>`: an artifact's field in the fleet and inventory hashes (and its folder on a node). */
export const artifactKey = (moduleName: string, version: number) => `${moduleName}@${version}`;

/** The name and version an artifactKey was built from. */
export function parseArtifactKey(key: string): { module_name: string; version: number } {
  const at = key.lastIndexOf('@');
  return { module_name: key.slice(0, at), version: Number(key.slice(at + 1)) };
}

/** Every field of one node in the node-ops hash starts with this. */
export const nodeOpsOfNode = (nodeUid: number) => `${nodeUid}|`;

/** `<node uid>|<module_name>@<version>`: a field of the node-ops hash. */
export const nodeOpKey = (nodeUid: number, moduleName: string, version: number) =>
  `${nodeOpsOfNode(nodeUid)}${artifactKey(moduleName, version)}`;

/**
 * Every Redis key modfleet touches, built from one prefix. BullMQ builds its own keys
 * from `queuePrefix`, which lives under the same prefix so one cluster's data never
 * mixes with another's.
 */
export function redisKeys(prefix: string) {
  const ccs = `${prefix}:ccs`;
  return {
    prefix,
    /** SCAN pattern matching every key of this prefix (BullMQ's included) */
    everyKey: `${prefix}:*`,
    /** A key or nested prefix no service uses (a bench round's own namespace): removed with this prefix's keys */
    child: (name: string) => `${prefix}:${name}`,
    /** hash: module uid → module object JSON */
    modules: `${ccs}:modules`,
    /** hash: `<module_name>@<version>` → module uid (one CCS object per name and version) */
    moduleNames: `${ccs}:modules:by-name`,
    /** hash: user uid → user record JSON (with password hash) */
    users: `${ccs}:users`,
    /** hash: lower-cased email → user uid */
    userEmails: `${ccs}:users:by-email`,
    /** counter: last user uid handed out */
    userUidSeq: `${ccs}:users:uid-seq`,
    /** pub/sub channel: a user was created, changed or deleted */
    usersChanged: `${ccs}:users:changed`,
    /** counter: failed logins of one user's email from one client address (expires: login_lockout_counter_reset_after) */
    loginFailures: (email: string, client: string) => `${ccs}:users:login-failures:${email}|${client}`,
    /** string: present while that email is locked out for that client address (expires: login_lockout_duration) */
    loginLocked: (email: string, client: string) => `${ccs}:users:locked:${email}|${client}`,
    /** set: the client addresses with failures or a lock for that email (expires with the longest of them) */
    loginClients: (email: string) => `${ccs}:users:login-clients:${email}`,
    /** hash: cluster setting → JSON value */
    cluster: `${ccs}:cluster`,
    /** pub/sub channel: a cluster setting changed */
    clusterChanged: `${ccs}:cluster:changed`,
    /** string: cluster secret, when none is configured (shared by every service through Redis) */
    clusterSecret: `${ccs}:cluster-secret`,
    /** string: this CCS's epoch (a random id), written when a coordinator first initialises it: gone = data lost */
    ccsMarker: `${ccs}:marker`,
    /** string: when the bootstrap admin was created (the cluster was set up): it is never created again */
    adminBootstrapped: `${ccs}:admin-bootstrapped`,
    /** string: the cluster CA certificate (PEM) the coordinator serves under; agents trust it */
    clusterCa: `${ccs}:cluster-ca`,
    /** string: the cluster CA with its key, sealed with the cluster secret: a second coordinator adopts it */
    clusterCaSealed: `${ccs}:cluster-ca-sealed`,
    /** list: the cluster event log (`GET /v1/logs`), newest first, capped */
    events: `${ccs}:events`,
    /** hash: node uid → node record JSON */
    nodes: `${prefix}:nodes`,
    /** counter: last node uid handed out */
    nodeUidSeq: `${prefix}:nodes:uid-seq`,
    /** zset: node uid → last heartbeat (ms since epoch) */
    nodeHeartbeats: `${prefix}:nodes:heartbeats`,
    /** hash: `<module_name>@<version>` → sha256 of what the node holds (the node reports it) */
    nodeInventory: (nodeUid: number) => `${prefix}:node:${nodeUid}:inventory`,
    /** hash: `<module_name>@<version>` → the node's load check JSON for what it holds */
    nodeLoadChecks: (nodeUid: number) => `${prefix}:node:${nodeUid}:load-checks`,
    /** hash: `<module_name>@<version>` → fleet artifact JSON (the fleet's desired state) */
    fleetArtifacts: `${prefix}:fleet:artifacts`,
    /** hash: `<node uid>|<module_name>@<version>` → last op on that node for that artifact */
    fleetNodeOps: `${prefix}:fleet:node-ops`,
    /** string: dedupe key of a push → the action_uid already carrying it */
    fleetInflight: (dedupeKey: string) => `${prefix}:fleet:inflight:${dedupeKey}`,
    /** zset: action uid → creation time (ms): the action list, trimmed by count and age */
    actions: `${prefix}:actions`,
    /** hash: `meta` → action JSON; `op:<key>` → one node op's status JSON */
    action: (actionUid: string) => `${prefix}:action:${actionUid}`,
    /** zset: coordinator presence JSON → last refresh (ms): who serves this prefix right now */
    coordinators: `${prefix}:coordinators`,
    /** hash: bdb uid → bdb record JSON */
    bdbs: `${prefix}:bdbs`,
    /** counter: last bdb uid handed out */
    bdbUidSeq: `${prefix}:bdbs:uid-seq`,
    /** counter: last shard uid handed out */
    shardUidSeq: `${prefix}:shards:uid-seq`,
    /** hash: port → uid of the bdb that holds it */
    bdbPorts: `${prefix}:bdbs:ports`,
    /** hash: action uid → state machine JSON (SMCreateBDB, SMDeleteBDB) */
    bdbStateMachines: `${prefix}:bdbs:state-machines`,
    /** string, expires: an upgrade's job gave up waiting for its begin (a begin of that action uid is refused) */
    bdbAbandonedChange: (actionUid: string) => `${prefix}:bdbs:abandoned-change:${actionUid}`,
    /** hash: shard uid → shard plan JSON: what the node must run */
    nodeShards: (nodeUid: number) => `${prefix}:node:${nodeUid}:shards`,
    /** pub/sub channel: the node's shard plans changed */
    nodeShardsChanged: (nodeUid: number) => `${prefix}:node:${nodeUid}:shards:changed`,
    /** hash: shard uid → the hosting agent's last report JSON */
    shardReports: `${prefix}:shards:reports`,
    /** list: pre-flight requests JSON for that node's agent (expires; trimmed) */
    preflightRequests: (nodeUid: number) => `${prefix}:node:${nodeUid}:preflight:requests`,
    /** pub/sub channel: a pre-flight request waits for that node */
    preflightNudge: (nodeUid: number) => `${prefix}:node:${nodeUid}:preflight:nudge`,
    /** hash: node uid → that node's pre-flight answer JSON, for one request (expires) */
    preflightAnswers: (requestId: string) => `${prefix}:preflight:${requestId}:answers`,
    /** string: a signed request's nonce, once used (expires with the signature's window): a replay is refused */
    signatureNonce: (nonce: string) => `${prefix}:signature-nonce:${nonce}`,
    /** BullMQ `prefix` option */
    queuePrefix: `${prefix}:bull`,
  } as const;
}
export type RedisKeys = ReturnType<typeof redisKeys>;
