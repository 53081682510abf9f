/** One `host:port` of a Sentinel or a cluster node. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where every Redis connection of a service goes, decided once from its configuration: one server
 * (`REDIS_URL`), the master a set of Sentinels names, or a Redis Cluster. With Sentinels or a
 * cluster, `url` supplies only credentials, TLS and (Sentinel) the db, never the host.
 */
export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; url: string; sentinels: RedisNode[]; masterName: string; sentinelPassword?: string | undefined }
  | { kind: 'cluster'; url: string; nodes: RedisNode[] };

/** The configuration fields a target is made of (the env registry's Redis variables). */
export interface RedisTargetConfig {
  redisUrl: string;
  redisSentinels?: RedisNode[] | undefined;
  redisSentinelMaster?: string | undefined;
  redisSentinelPassword?: string | undefined;
  redisClusterNodes?: RedisNode[] | undefined;
}

export function redisTargetOf(config: RedisTargetConfig): RedisTarget {
  const url = config.redisUrl;
  if (config.redisClusterNodes?.length) return { kind: 'cluster', url, nodes: config.redisClusterNodes };
  if (config.redisSentinels?.length && config.redisSentinelMaster) {
    return {
      kind: 'sentinel',
      url,
      sentinels: config.redisSentinels,
      masterName: config.redisSentinelMaster,
      sentinelPassword: config.redisSentinelPassword,
    };
  }
  return { kind: 'standalone', url };
}

/** `a:1,b:2` as nodes; undefined when any entry is not `host:port`. */
export function parseRedisNodes(text: string): RedisNode[] | undefined {
  const nodes: RedisNode[] = [];
  for (const entry of text.split(',').map(part => part.trim())) {
    const match = /^(\[[0-9a-fA-F:]+\]|[^\s:]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) return undefined;
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** A hash tag (`{...}`) decides a key's cluster slot; every modfleet key must land in one. */
export const hasHashTag = (prefix: string) => /\{[^{}]+\}/.test(prefix);

/** The prefix a cluster needs: the configured one, wrapped in a hash tag unless it carries one. */
export const clusterPrefixOf = (prefix: string) => (hasHashTag(prefix) ? prefix : `{${prefix}}`);
