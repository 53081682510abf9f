import { mkdir } from 'node:fs/promises';
import {
  claimSignatureNonce,
  connectRedis,
  createAuthenticator,
  createLogger,
  createRedis,
  describeRedisTarget,
  createMetrics,
  createClusterHttpClient,
  logLocked,
  isLoopback,
  listen,
  redisKeys,
  redisTargetOf,
  resolveClusterSecret,
  watchCcsChanges,
  watchCcsMarker,
  ensureCcsMarker,
  type Logger,
} from '@modfleet/common';
import { FlowProducer } from 'bullmq';
import { startActionFinalizer } from './actions/action-finalizer.js';
import { closeOrphanedActions } from './actions/orphan-sweep.js';
import { createCoordinatorApp } from './app.js';
import { createCoordinatorServices } from './services.js';
import { startMaintenance } from './maintenance/maintenance-jobs.js';
import { announceCoordinator, type PresenceHandle } from './presence/coordinator-presence.js';
import type { CoordinatorConfig } from './config.js';
import { openDiskBlobStore } from './fleet/blobs/blob-store.js';
import { createPeerBlobCopy } from './fleet/blobs/peer-blob-copy.js';
import { replicatedBlobStore } from './fleet/blobs/replicated-blob-store.js';
import { createDispatcher } from './fleet/dispatch/dispatcher.js';
import { createDistributionPlanner } from './fleet/distribution/distribution-planner.js';
import { createDiskPieceIndexStore } from './fleet/distribution/piece-index-store.js';
import { createFleetService } from './fleet/fleet-service.js';
import { createReplicaAck } from './fleet/dispatch/replica-ack.js';
import { createNodeQueues } from './fleet/dispatch/node-queues.js';
import { registerFleetGauges } from './metrics/fleet-gauges.js';
import { warnUnlessNoEviction } from './maintenance/eviction-policy.js';
import { createNodeRemoval } from './nodes/node-removal.js';
import { ensureAdmin, redisBootstrapMarker } from './users/bootstrap-admin.js';
import { restoreCcs } from './ccs/restore-ccs.js';
import { createRedisBdbStore } from './bdbs/redis-bdb-store.js';
import { redisShardControl } from './bdbs/upgrade/shard-control.js';
import { closeOrphanedUpgrades } from './bdbs/upgrade/upgrade-orphan-sweep.js';
import { startUpgradeWorker } from './bdbs/upgrade/upgrade-worker.js';
import { createPreflightRunner } from './bdbs/upgrade/redis-preflight-runner.js';
import { coordinatorTls } from './tls/coordinator-tls.js';

export interface RunningCoordinator {
  url: string;
  /** The plain HTTP URL, when MODFLEET_HTTP_PORT is on. */
  httpUrl: string | undefined;
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
    const listening: { port?: number } = {};
    const services = createCoordinatorServices(config, redis, () => listening.port);
    const { timings, users, settings, actions, nodes, inventory, fleetArtifacts, inflight } = services;
    await ensureAdmin(
      users,
      { email: config.adminEmail, password: config.adminPassword },
      logger,
      redisBootstrapMarker(redis, keys),
    );
    await mkdir(config.dataDir, { recursive: true });
    const clusterSecret = await resolveClusterSecret(redis, keys, config.clusterSecret);
    await ensureCcsMarker(redis, keys);
    const ccs = watchCcsMarker(
      redis,
      keys,
      logger,
      {
        onLost: () =>
          restoreCcs({
            redis,
            keys,
            users,
            admin: { email: config.adminEmail, password: config.adminPassword },
            clusterSecret: { value: clusterSecret, configured: Boolean(config.clusterSecret) },
            logger,
          }).catch((err: unknown) => logger.error({ err }, 'could not re-create the lost CCS')),
      },
      timings.ccsMarkerCheckMs,
    );
    closers.push(() => Promise.resolve(ccs.stop()));
    await ccs.check();
    const tls = await coordinatorTls(config, redis, keys, logger, clusterSecret);

    const lockout = services.lockout;
    const auth = createAuthenticator({
      users,
      lockout: lockout && {
        store: lockout,
        policy: () => settings.get(),
        onLocked: (email, client) => logLocked(logger, email, client),
      },
    });
    await watchCcsChanges(subscriber, keys, { users: auth, settings });
    const localBlobs = await openDiskBlobStore(config.dataDir);
    // Announced once listening (the peers need this coordinator's URL). A blob request that
    // arrives in between waits for the announcement rather than finding no peer to ask.
    let announce: (presence: PresenceHandle | undefined) => void = () => undefined;
    const announced = new Promise<PresenceHandle | undefined>(resolve => (announce = resolve));
    const blobs = replicatedBlobStore({
      local: localBlobs,
      copy: createPeerBlobCopy(
        localBlobs,
        clusterSecret,
        tls.caPem ? createClusterHttpClient({ caPem: tls.caPem }) : undefined,
      ),
      peers: async () => (await announced)?.peers() ?? [],
      logger,
    });
    const pieces = createDiskPieceIndexStore(config.dataDir, blobs);
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
      artifacts: fleetArtifacts,
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
      artifacts: fleetArtifacts,
      logger,
    });
    closers.push(() => finalizer.close());
    const bdbStore = createRedisBdbStore(redis, keys);
    const upgrades = startUpgradeWorker({
      connection: queueConnection,
      queuePrefix: keys.queuePrefix,
      runner: { store: bdbStore, shards: redisShardControl, nodes, logger, stateHoldMs: timings.upgradeStateHoldMs },
      logger,
    });
    closers.push(() => upgrades.close());
    const maintenance = await startMaintenance({
      connection: queueConnection,
      queuePrefix: keys.queuePrefix,
      logger,
      tasks: [
        {
          name: 'orphan-sweep',
          everyMs: timings.orphanSweepMs,
          run: async () => ({
            actions: await closeOrphanedActions({ actions, actionsQueue: queues.actions, logger }),
            upgrades: await closeOrphanedUpgrades({ store: bdbStore, jobs: upgrades, logger }),
          }),
        },
        { name: 'eviction-policy-check', everyMs: 3_600_000, run: () => warnUnlessNoEviction(redis, logger) },
      ],
    });
    closers.push(() => maintenance.close());

    const app = createCoordinatorApp({
      ...services,
      logger,
      auth,
      removal: createNodeRemoval({ queues, nodes, actions, logger }),
      fleet,
      blobs,
      localBlobs,
      pieces,
      actions,
      clusterSecret,
      signCertificate: tls.sign,
      coordinatorNames: tls.names,
      claimNonce: nonce => claimSignatureNonce(redis, keys, nonce),
      allowHttpNodes: config.allowHttpNodes,
      maxArtifactBytes: config.maxArtifactBytes,
      pushUrlAllow: config.pushUrlAllow,
      healthy: async () => (await redis.ping().catch(() => '')) === 'PONG',
      ccsProblem: () => ccs.problem(),
      queues,
      metrics,
      metricsOpen: config.metricsPublic || isLoopback(config.host),
      databases: {
        store: bdbStore,
        inventory,
        dbPorts: config.dbPorts,
        upgrades,
        preflight: createPreflightRunner({ redis, keys, nodes }),
      },
    });
    const server = await listen(app, {
      host: config.host,
      port: config.port,
      tls: tls.serve,
      httpPort: config.httpPort,
    });
    listening.port = Number(new URL(server.url).port);
    logger.info(
      { url: server.url, http_url: server.httpUrl, redis: describeRedisTarget(target), prefix: config.prefix },
      'coordinator listening',
    );
    // Advisory only: a Redis hiccup here must not take down a coordinator that is already serving.
    const presence = await announceCoordinator(redis, keys, server.url, logger, timings).catch((err: unknown) => {
      logger.warn({ err }, 'could not announce this coordinator under its prefix');
      return undefined;
    });
    announce(presence);
    if (presence) closers.push(() => presence.stop());

    return {
      url: server.url,
      httpUrl: server.httpUrl,
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
