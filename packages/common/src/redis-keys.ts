/**
 * Every Redis key modfleet touches, built from one prefix. BullMQ builds its own keys
 * from `queuePrefix`, which lives under the same prefix so one cluster's data never
 * mixes with another's.
 */
export function redisKeys(prefix: string) {
  const ccs = `${prefix}:ccs`;
  return {
    prefix,
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
    /** hash: cluster setting → JSON value */
    cluster: `${ccs}:cluster`,
    /** pub/sub channel: a cluster setting changed */
    clusterChanged: `${ccs}:cluster:changed`,
    /** string: cluster secret, when none is configured (shared by every service through Redis) */
    clusterSecret: `${ccs}:cluster-secret`,
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
    /** BullMQ `prefix` option */
    queuePrefix: `${prefix}:bull`,
  } as const;
}
export type RedisKeys = ReturnType<typeof redisKeys>;
