import { mkdir } from 'node:fs/promises';
import {
  connectRedis,
  createAuthenticator,
  createLogger,
  createRedis,
  describeRedisTarget,
  createRedisActionStore,
  createRedisNodeInventoryStore,
  cacheClusterSettings,
  createRedisClusterSettingsStore,
  createMetrics,
  createRedisUserStore,
  isLoopback,
  listen,
  redisKeys,
  redisTargetOf,
  resolveClusterSecret,
  watchCcsChanges,
  type Logger,
} from '@modfleet/common';
import { FlowProducer } from 'bullmq';
import { startActionFinalizer } from './actions/action-finalizer.js';
import { createRedisInflightStore } from './actions/inflight-store.js';
import { closeOrphanedActions } from './actions/orphan-sweep.js';
import { createCoordinatorApp } from './app.js';
import { announceCoordinator } from './presence/coordinator-presence.js';
import type { CoordinatorConfig } from './config.js';
import { openDiskBlobStore } from './fleet/blob-store.js';
import { createDispatcher } from './fleet/dispatcher.js';
import { createDistributionPlanner } from './fleet/distribution-planner.js';
import { createDiskPieceIndexStore } from './fleet/piece-index-store.js';
import { createRedisFleetArtifacts } from './fleet/fleet-artifacts.js';
import { createFleetService } from './fleet/fleet-service.js';
import { createReplicaAck } from './fleet/replica-ack.js';
import { createNodeQueues } from './fleet/node-queues.js';
import { registerFleetGauges } from './metrics/fleet-gauges.js';
import { warnUnlessNoEviction } from './fleet/redis-policy.js';
import { createRedisModuleStore } from './modules/module-store.js';
import { createRedisNodeRegistry } from './nodes/node-registry.js';
import { createNodeRemoval } from './nodes/node-removal.js';
import { ensureAdmin } from './users/bootstrap-admin.js';

export interface RunningCoordinator {
  url: string;
  logger: Logger;
  stop(deadlineMs?: number): Promise<void>;
}

export async function startCoordinator(
  config: CoordinatorConfig,
  logger = createLogger({ name: 'coordinator', level: config.logLevel }),
): Promise<RunningCoordinator> {
  const keys = redisKeys(config.prefix);
  const target = redisTargetOf(config);
  const redis = createRedis(target, 'http', logger);
  const subscriber = createRedis(target, 'subscriber', logger);
  const queueConnection = createRedis(target, 'worker', logger);
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await Promise.allSettled([redis.quit(), subscriber.quit(), queueConnection.quit()]);
  };
  try {
    await connectRedis(redis, target);
    await connectRedis(subscriber, target);
    await connectRedis(queueConnection, target);
    await warnUnlessNoEviction(redis, logger);
    const users = createRedisUserStore(redis, keys);
    await ensureAdmin(users, { email: config.adminEmail, password: config.adminPassword }, logger);
    await mkdir(config.dataDir, { recursive: true });
    const clusterSecret = await resolveClusterSecret(redis, keys, config.clusterSecret);

    const auth = createAuthenticator({ users });
    const settings = cacheClusterSettings(createRedisClusterSettingsStore(redis, keys));
    await watchCcsChanges(subscriber, keys, { users: auth, settings });
    const actions = createRedisActionStore(redis, keys);
    const nodes = createRedisNodeRegistry(redis, keys);
    const blobs = await openDiskBlobStore(config.dataDir);
    const pieces = createDiskPieceIndexStore(config.dataDir, blobs);
    const inflight = createRedisInflightStore(redis, keys);
    const inventory = createRedisNodeInventoryStore(redis, keys);
    const flows = new FlowProducer({ connection: queueConnection, prefix: keys.queuePrefix });
    flows.on('error', err => logger.error({ err }, 'flow producer error'));
    closers.push(() => flows.close());
    const queues = createNodeQueues(queueConnection, keys, logger);
    closers.push(() => queues.close());
    const metrics = createMetrics('coordinator');
    registerFleetGauges(metrics, nodes, queues);
    for (const uid of await nodes.uids()) queues.node(uid);
    const fleet = createFleetService({
      inventory,
      nodes,
      artifacts: createRedisFleetArtifacts(redis, keys),
      blobs,
      actions,
      dispatcher: createDispatcher({
        inflight,
        actions,
        flows,
        distribution: createDistributionPlanner({ inventory, nodes, pieces }),
        confirmWrites: createReplicaAck({ writers: [queueConnection], slotKey: keys.actions }),
      }),
    });
    const finalizer = startActionFinalizer({
      connection: queueConnection,
      queuePrefix: keys.queuePrefix,
      actions,
      inflight,
      logger,
    });
    closers.push(() => finalizer.close());
    await closeOrphanedActions({ actions, actionsQueue: queues.actions, logger });

    const app = createCoordinatorApp({
      logger,
      auth,
      users,
      settings,
      modules: createRedisModuleStore(redis, keys),
      nodes,
      removal: createNodeRemoval({ queues, nodes, actions, logger }),
      fleet,
      blobs,
      pieces,
      actions,
      clusterSecret,
      maxArtifactBytes: config.maxArtifactBytes,
      healthy: async () => (await redis.ping().catch(() => '')) === 'PONG',
      queues,
      metrics,
      metricsOpen: config.metricsPublic || isLoopback(config.host),
    });
    const server = await listen(app, { host: config.host, port: config.port, tls: config.tls });
    logger.info(
      { url: server.url, redis: describeRedisTarget(target), prefix: config.prefix },
      'coordinator listening',
    );
    // Advisory only: a Redis hiccup here must not take down a coordinator that is already serving.
    const presence = await announceCoordinator(redis, keys, server.url, logger).catch((err: unknown) => {
      logger.warn({ err }, 'could not announce this coordinator under its prefix');
      return undefined;
    });
    if (presence) closers.push(() => presence.stop());

    return {
      url: server.url,
      logger,
      async stop(deadlineMs = 30_000) {
        logger.info({ deadlineMs }, 'coordinator stopping');
        await server.close(deadlineMs);
        await closeAll();
        logger.info('coordinator stopped');
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
