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
    /** BullMQ `prefix` option */
    queuePrefix: `${prefix}:bull`,
  } as const;
}
export type RedisKeys = ReturnType<typeof redisKeys>;
