import {
  connectRedis,
  createAuthenticator,
  createLogger,
  createRedis,
  createRedisActionStore,
  cacheClusterSettings,
  createRedisClusterSettingsStore,
  createMetrics,
  createRedisUserStore,
  isLoopback,
  listen,
  redactRedisUrl,
  redisKeys,
  resolveClusterSecret,
  watchCcsChanges,
  type Logger,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import { createAgentApp } from './app.js';
import { openDiskArtifactStore } from './artifacts/artifact-store.js';
import type { AgentConfig } from './config.js';
import { createCoordinatorClient } from './fleet/coordinator-client.js';
import { createLoadChecker } from './load-check/load-checker.js';
import { advertisedAddr, joinCluster, type Membership } from './fleet/node-membership.js';
import { openLocalBlobs } from './relay/local-blobs.js';
import { TransferRegistry } from './relay/transfer-registry.js';

export interface RunningAgent {
  url: string;
  logger: Logger;
  /** Resolves with this node's uid once registered with the coordinator (undefined when standalone). */
  registered: Promise<number | undefined>;
  /** Graceful stop: stop accepting, let in-flight uploads and the running fleet op finish within the deadline, close Redis. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Connected Redis clients an agent uses instead of opening its own (the simulation runs many
 * agents on a few connections); the caller owns them and closes them after the agents.
 */
export interface SharedAgentRedis {
  redis: Redis;
  subscriber: Redis;
  /** Opened with the worker role; each BullMQ worker still opens its own blocking connection. */
  workerConnection: Redis;
}

export async function startAgent(
  config: AgentConfig,
  logger = createLogger({ name: 'agent', level: config.logLevel }),
  shared?: SharedAgentRedis,
): Promise<RunningAgent> {
  const keys = redisKeys(config.prefix);
  const redis = shared?.redis ?? createRedis(config.redisUrl, 'http', logger);
  const subscriber = shared?.subscriber ?? createRedis(config.redisUrl, 'subscriber', logger);
  const workerConnection = shared?.workerConnection ?? createRedis(config.redisUrl, 'worker', logger);
  const closeRedis = () =>
    shared ? Promise.resolve() : Promise.allSettled([redis.quit(), subscriber.quit(), workerConnection.quit()]);
  try {
    if (!shared) {
      await connectRedis(redis, config.redisUrl);
      await connectRedis(subscriber, config.redisUrl);
      await connectRedis(workerConnection, config.redisUrl);
    }

    const auth = createAuthenticator({ users: createRedisUserStore(redis, keys) });
    const settings = cacheClusterSettings(createRedisClusterSettingsStore(redis, keys));
    await watchCcsChanges(subscriber, keys, { users: auth, settings });
    const metrics = createMetrics('agent');
    let membership: Membership | undefined;
    let nodeUid: number | undefined;
    const store = await openDiskArtifactStore(config.dataDir, logger, () => membership?.inventoryChanged());
    // Peers fetch from this node only as cluster members, so the relay needs the cluster secret (fleet mode only).
    const clusterSecret = config.coordinatorUrl
      ? await resolveClusterSecret(redis, keys, config.clusterSecret)
      : undefined;
    const peer = clusterSecret
      ? {
          clusterSecret,
          transfers: new TransferRegistry(),
          blobs: openLocalBlobs({ dataDir: config.dataDir, store, logger }),
        }
      : undefined;
    const loadChecker = createLoadChecker({
      settings,
      logger: logger.child({ component: 'load-check' }),
      redisServer: config.redisServer,
      workDir: store.tempDir,
    });
    const app = createAgentApp({
      loadChecker,
      logger,
      auth,
      settings,
      store,
      maxArtifactBytes: config.maxArtifactBytes,
      healthy: async () => (await redis.ping().catch(() => '')) === 'PONG',
      metrics,
      metricsOpen: config.metricsPublic || isLoopback(config.host),
      ...(peer && { peer }),
      nodeUid: () => nodeUid,
    });
    const server = await listen(app, { host: config.host, port: config.port, tls: config.tls });
    logger.info(
      { url: server.url, redis: redactRedisUrl(config.redisUrl), prefix: config.prefix, dataDir: config.dataDir },
      'agent listening',
    );

    if (config.coordinatorUrl && clusterSecret && peer) {
      membership = joinCluster({
        redis,
        workerConnection,
        keys,
        coordinator: createCoordinatorClient(config.coordinatorUrl, clusterSecret),
        relay: { ...peer, coordinatorUrl: config.coordinatorUrl, logger },
        store,
        loadChecker,
        actions: createRedisActionStore(redis, keys),
        dataDir: config.dataDir,
        claimedUid: config.nodeId,
        addr: advertisedAddr(server.url),
        logger,
        metrics,
      });
    } else {
      logger.warn('no MODFLEET_COORDINATOR_URL: serving the local API only, without fleet operations');
    }

    void membership?.registered.then(uid => (nodeUid = uid));

    return {
      url: server.url,
      logger,
      registered: membership?.registered ?? Promise.resolve(undefined),
      async stop(deadlineMs = 30_000) {
        logger.info({ deadlineMs }, 'agent stopping');
        await Promise.all([server.close(deadlineMs), membership?.stop(deadlineMs)]);
        await closeRedis();
        logger.info('agent stopped');
      },
    };
  } catch (err) {
    await closeRedis();
    throw err;
  }
}
