import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadOrCreateCa, redactRedisUrl, TLS_FILES } from '@modfleet/common';
import { httpsUrlOf, httpUrlOf, planAddresses, type ServiceAddress } from './node-addresses.js';
import { warnIfPrefixInUse } from './prefix-check.js';
import {
  describeState,
  effectivePrefix,
  readPreviousState,
  wipePrefix,
  wipeServiceData,
  type PreviousState,
} from './previous-state.js';
import { redisAnswers, redisServerInstalled, startPrivateRedis, type PrivateRedis } from './private-redis.js';
import { assertPortsFree } from './port-check.js';
import { spawnService, stopService, waitHealthy, type ServiceProcess } from './spawn-service.js';
import type { Restartable } from './supervisor.js';

export const LOCAL_ADMIN = { email: 'admin@modfleet.local', password: 'modfleet-local-admin' } as const;

export interface LocalClusterOptions {
  nodes: number;
  dataDir: string;
  host: string;
  port: number;
  /** Plain HTTP port (0: none). */
  httpPort: number;
  /** --ports: distinct ports on one address, even where each node could have its own address. */
  distinctPorts: boolean;
  redisUrl: string;
  prefix: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  logLevel: string | undefined;
  /** Start from empty state: the prefix's Redis keys and the services' data dirs are removed first. */
  fresh?: boolean;
  /** More variables for every service, as given to `up` (flag or environment). */
  serviceEnv?: Record<string, string>;
}

export interface LocalCluster {
  coordinator: ServiceProcess;
  agents: ServiceProcess[];
  redisUrl: string;
  /** The cluster CA certificate every service's certificate is signed by. */
  caFile: string;
  /** true: each node on its own loopback address (addr in GET /v1/nodes is an IP). */
  perNodeAddress: boolean;
  /** Every process `up` owns, its private redis-server included: what the supervisor restarts. */
  services: Restartable[];
  admin: { email: string; password: string };
  /** What this run found under its prefix before it started. */
  previous: PreviousState;
  /** The banner's line on what was reused, created or removed. */
  stateLine: string;
  stop(): Promise<void>;
}

type Say = (line: string) => void;

async function clusterSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, 'cluster-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('hex');
    await writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}

async function resolveRedis(url: string, dataDir: string, say: Say): Promise<{ url: string; owned?: PrivateRedis }> {
  if (await redisAnswers(url)) return { url };
  if (!redisServerInstalled()) {
    throw new Error(
      `Redis is not reachable at ${redactRedisUrl(url)} and redis-server is not installed: start a Redis (apt-get install redis-server, or docker run -p 6379:6379 redis) or point REDIS_URL at one.`,
    );
  }
  const owned = await startPrivateRedis(dataDir);
  say(
    `Redis at ${redactRedisUrl(url)} did not answer: started a private redis-server on ${owned.url} (data in ${join(dataDir, 'redis')}).`,
  );
  return { url: owned.url, owned };
}

/** `modfleet up`: Redis (shared or private), one coordinator and N agents, each a real process. */
export async function startLocalCluster(options: LocalClusterOptions, say: Say): Promise<LocalCluster> {
  const dataDir = resolve(options.dataDir);
  const logsDir = join(dataDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const plan = planAddresses({ ...options, distinctPorts: options.distinctPorts });
  const owners: [ServiceAddress, string][] = [
    [plan.coordinator, 'the coordinator'],
    ...plan.nodes.map((node, index): [ServiceAddress, string] => [node, `agent ${index + 1}`]),
  ];
  await assertPortsFree(
    owners.flatMap(([address, owner]) => [
      { host: address.host, port: address.port, owner },
      ...(address.httpPort === undefined ? [] : [{ host: address.host, port: address.httpPort, owner }]),
    ]),
  );
  // The cluster CA: created once, kept here; the coordinator signs every certificate with it.
  const { certFile: caFile } = await loadOrCreateCa(join(dataDir, 'tls'));
  const caKeyFile = join(dataDir, 'tls', TLS_FILES.caKey);
  const redis = await resolveRedis(options.redisUrl, dataDir, say);
  await warnIfPrefixInUse(redis.url, options.prefix, say);
  const prefix = effectivePrefix(options.prefix);
  let freshKeys: number | undefined;
  if (options.fresh) {
    say(
      `--fresh: removing every Redis key under prefix "${prefix}" on ${redactRedisUrl(redis.url)} (users, cluster settings, modules, nodes, fleet artifacts, actions, databases, queues) and the coordinator's and nodes' data dirs under ${dataDir}; the cluster CA, the cluster secret and the logs stay.`,
    );
    freshKeys = await wipePrefix(redis.url, prefix);
    await wipeServiceData(dataDir, options.nodes);
  }
  const previous = await readPreviousState(redis.url, prefix, caFile);
  if (previous.otherCa) {
    say(
      `The cluster CA in Redis (prefix "${prefix}") is not the one in ${caFile}: the coordinator replaces it with this one; agents holding certificates of the old CA ask for new ones.`,
    );
  }
  const admin = {
    email: options.adminEmail ?? LOCAL_ADMIN.email,
    password: options.adminPassword ?? LOCAL_ADMIN.password,
  };
  if (!options.adminPassword && !previous.bootstrapped) {
    say(
      `warning: using the documented local admin password; set MODFLEET_ADMIN_PASSWORD for anything but a local test cluster.`,
    );
  }
  const shared: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    MODFLEET_TLS_CA: caFile,
    MODFLEET_CLUSTER_SECRET: process.env.MODFLEET_CLUSTER_SECRET ?? (await clusterSecret(dataDir)),
    ...(options.prefix && { MODFLEET_PREFIX: options.prefix }),
    ...(options.logLevel && { LOG_LEVEL: options.logLevel }),
    ...options.serviceEnv,
  };
  const started: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(started.slice(1).map(service => stopService(service.child)));
    if (started[0]) await stopService(started[0].child);
    if (redis.owned) await stopService(redis.owned.child);
  };
  const listenEnv = (address: ServiceAddress) => ({
    MODFLEET_HOST: address.host,
    MODFLEET_PORT: String(address.port),
    MODFLEET_HTTP_PORT: String(address.httpPort ?? 0),
  });

  try {
    const coordinatorUrl = httpsUrlOf(plan.coordinator);
    const coordinator = await spawnService(
      'coordinator',
      'coordinator',
      {
        ...shared,
        ...listenEnv(plan.coordinator),
        MODFLEET_TLS_CA_KEY: caKeyFile,
        MODFLEET_DATA_DIR: join(dataDir, 'coordinator'),
        MODFLEET_ADMIN_EMAIL: admin.email,
        MODFLEET_ADMIN_PASSWORD: admin.password,
      },
      { url: coordinatorUrl, httpUrl: httpUrlOf(plan.coordinator), caFile },
      join(logsDir, 'coordinator.log'),
    );
    started.push(coordinator);
    await waitHealthy(coordinator);
    const agents = await Promise.all(
      Array.from({ length: options.nodes }, async (_unused, index) => {
        const node = index + 1;
        const address = plan.nodes[index]!;
        const agent = await spawnService(
          `agent ${node}`,
          'agent',
          {
            ...shared,
            ...listenEnv(address),
            MODFLEET_DATA_DIR: join(dataDir, `node-${node}`),
            MODFLEET_NODE_ID: String(node),
            MODFLEET_COORDINATOR_URL: coordinatorUrl,
            MODFLEET_ADMIN_PASSWORD: undefined,
          },
          { url: httpsUrlOf(address), httpUrl: httpUrlOf(address), caFile },
          join(logsDir, `node-${node}.log`),
        );
        started.push(agent);
        return agent;
      }),
    );
    // Every child is tracked before any health wait, so a failure stops all of them.
    await Promise.all(agents.map(agent => waitHealthy(agent)));
    const services: Restartable[] = [...(redis.owned ? [redis.owned] : []), coordinator, ...agents];
    return {
      coordinator,
      agents,
      redisUrl: redis.url,
      caFile,
      perNodeAddress: plan.perNodeAddress,
      services,
      admin,
      previous,
      stateLine: describeState(previous, freshKeys),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
