import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import type { RedisTarget } from './redis-target.js';

export type RedisRole = 'http' | 'subscriber' | 'worker';

/** A standalone URL still reads as a target, so callers that only ever know a URL keep working. */
const targetOf = (target: RedisTarget | string): RedisTarget =>
  typeof target === 'string' ? { kind: 'standalone', url: target } : target;

/**
 * HTTP-path connections fail fast when Redis is away (the client gets a 503 instead of a hung
 * request); worker connections wait forever, as BullMQ requires.
 */
function roleOptions(role: RedisRole): RedisOptions {
  return role === 'worker'
    ? { maxRetriesPerRequest: null }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: role === 'subscriber' };
}

/** What of REDIS_URL still counts when Sentinel or a cluster names the servers: who, which db, TLS. */
function credentialsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || 0);
  return {
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(db > 0 && { db }),
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
  };
}

/** A replica answering a write (an old master that came back demoted): reconnect to the master and resend. */
const reconnectOnReadonly = (err: Error) => (err.message.startsWith('READONLY') ? 2 : false);

/** Sentinels are asked again and again while none answers: a service waits out the outage, never gives up. */
const keepAskingSentinels = (attempt: number) => Math.min(attempt * 100, 1000);

function connect(target: RedisTarget, role: RedisRole): Redis {
  const common = { ...roleOptions(role), connectionName: `modfleet-${role}`, lazyConnect: true };
  if (target.kind === 'standalone') return new Redis(target.url, { ...common, reconnectOnError: reconnectOnReadonly });
  if (target.kind === 'sentinel') {
    return new Redis({
      ...credentialsOf(target.url),
      ...common,
      sentinels: target.sentinels,
      name: target.masterName,
      role: 'master',
      ...(target.sentinelPassword && { sentinelPassword: target.sentinelPassword }),
      sentinelRetryStrategy: keepAskingSentinels,
      // No `failoverDetector`: in ioredis 6.0.0 a +switch-master that arrives while a reconnect is
      // asking a Sentinel for the master rejects that connect ("Connection is closed") and leaves the
      // client ended for good, never reconnecting; and each Sentinel's own +switch-master, arriving
      // seconds apart, drops connections already on the new master. A dead master's sockets close,
      // which is all the reconnect needs.
      reconnectOnError: reconnectOnReadonly,
    });
  }
  const { db: _db, ...credentials } = credentialsOf(target.url);
  const { enableOfflineQueue, ...perNode } = common;
  const cluster = new Cluster(target.nodes, {
    lazyConnect: true,
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    redisOptions: { ...credentials, ...perNode, reconnectOnError: reconnectOnReadonly },
  });
  // Every modfleet key carries the prefix's hash tag, so each command, Lua script and MULTI the
  // services send lands in one slot: a Cluster serves them as one server would.
  return cluster as unknown as Redis;
}

/** One connection of `role` to the target: the only way services reach Redis. */
export function createRedis(target: RedisTarget | string, role: RedisRole, logger: Logger): Redis {
  const redis = connect(targetOf(target), role);
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    if (err.message !== lastError) logger.error({ err, role }, 'redis connection error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.info({ role }, 'redis connection restored');
    lastError = '';
  });
  return redis;
}

/**
 * Sentinel and cluster clients keep retrying instead of failing their first connect: a service
 * that cannot find a master at start stops after this long, as one that cannot reach its server does.
 */
export const REDIS_STARTUP_TIMEOUT_MS = 20_000;

function withinStartup<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no master answered within ${REDIS_STARTUP_TIMEOUT_MS / 1000} s`)),
      REDIS_STARTUP_TIMEOUT_MS,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Connects and proves the server answers, with a message that says where it looked. */
export async function connectRedis(redis: Redis, target: RedisTarget | string): Promise<void> {
  try {
    await withinStartup(redis.connect().then(() => redis.ping()));
  } catch (cause) {
    redis.disconnect();
    throw new Error(`Cannot reach Redis at ${describeRedisTarget(target)}: ${(cause as Error).message}`, { cause });
  }
}

/** Where a target points, password blanked, fit for logs and messages. */
export function describeRedisTarget(target: RedisTarget | string): string {
  const resolved = targetOf(target);
  const list = (nodes: { host: string; port: number }[]) => nodes.map(node => `${node.host}:${node.port}`).join(',');
  if (resolved.kind === 'sentinel') return `master "${resolved.masterName}" of Sentinels ${list(resolved.sentinels)}`;
  if (resolved.kind === 'cluster') return `Redis Cluster ${list(resolved.nodes)}`;
  return redactRedisUrl(resolved.url);
}

/** A Redis URL with its password blanked, fit for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable REDIS_URL>';
  }
}
