import {
  connectRedis,
  createAuthenticator,
  createClusterHttpClient,
  createLogger,
  createRedis,
  describeRedisTarget,
  findRedisServer,
  createMetrics,
  logLocked,
  isLoopback,
  listen,
  redisKeys,
  redisTargetOf,
  resolveClusterSecret,
  watchCcsChanges,
  watchCcsMarker,
  type Logger,
  type ShardPlan,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import { createAgentApp } from './app.js';
import { createAgentServices } from './services.js';
import { openDiskArtifactStore } from './artifacts/artifact-store.js';
import type { AgentConfig } from './config.js';
import { createCoordinatorClient } from './fleet/coordinator-client.js';
import { createCoordinatorPool, pooledCoordinatorClient } from './fleet/coordinator-pool.js';
import { collectHostFacts } from './fleet/host-facts.js';
import { createLoadChecker } from './load-check/load-checker.js';
import { advertisedAddr } from './fleet/advertised-addr.js';
import { joinCluster, type Membership } from './fleet/node-membership.js';
import { openLocalBlobs } from './relay/local-blobs.js';
import { TransferRegistry } from './relay/transfer-registry.js';
import { agentTls } from './tls/agent-tls.js';
import { keepAliveTransport } from './forward/coordinator-transport.js';
import { startShardSupervisor, type ShardSupervisor } from './shards/shard-supervisor.js';
import { probeHostOf } from './shards/shard-process.js';
import { startPreflightResponder, type PreflightResponder } from './preflight/preflight-responder.js';

export interface RunningAgent {
  url: string;
  /** The plain HTTP URL, when MODFLEET_HTTP_PORT is on. */
  httpUrl: string | undefined;
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
  const target = redisTargetOf(config);
  const redis = shared?.redis ?? createRedis(target, 'http', logger);
  const subscriber = shared?.subscriber ?? createRedis(target, 'subscriber', logger);
  const workerConnection = shared?.workerConnection ?? createRedis(target, 'worker', logger);
  const closeRedis = () =>
    shared ? Promise.resolve() : Promise.allSettled([redis.quit(), subscriber.quit(), workerConnection.quit()]);
  try {
    if (!shared) {
      await connectRedis(redis, target);
      await connectRedis(subscriber, target);
      await connectRedis(workerConnection, target);
    }

    const { settings, users, lockout, actions, timings } = createAgentServices(config, redis);
    const auth = createAuthenticator({
      users,
      lockout: lockout && {
        store: lockout,
        policy: () => settings.get(),
        onLocked: (email, client) => logLocked(logger, email, client),
      },
    });
    await watchCcsChanges(subscriber, keys, { users: auth, settings });
    let membership: Membership | undefined;
    const ccs = watchCcsMarker(
      redis,
      keys,
      logger,
      { onRecreated: () => void membership?.rejoin() },
      timings.ccsMarkerCheckMs,
    );
    await ccs.check();
    const metrics = createMetrics('agent');
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
    const coordinators = config.coordinatorUrl ? createCoordinatorPool(config.coordinatorUrl) : undefined;
    // Replaced by one trusting the cluster CA once the agent knows it.
    let forwardTransport = keepAliveTransport();
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
      ccsProblem: () => ccs.problem(),
      metrics,
      metricsOpen: config.metricsPublic || isLoopback(config.host),
      ...(peer && { peer }),
      nodeUid: () => nodeUid,
      forward: { coordinators, transport: url => forwardTransport(url) },
      shardPlans: async () =>
        nodeUid === undefined
          ? []
          : Object.values(await redis.hgetall(keys.nodeShards(nodeUid))).map(json => JSON.parse(json) as ShardPlan),
    });
    const tls = await agentTls(config, redis, keys, logger, timings.caPollMs);
    const server = await listen(app, {
      host: config.host,
      port: config.port,
      tls: tls.serve,
      httpPort: config.httpPort,
    });
    logger.info(
      {
        url: server.url,
        http_url: server.httpUrl,
        redis: describeRedisTarget(target),
        prefix: config.prefix,
        dataDir: config.dataDir,
      },
      'agent listening',
    );

    let stopping = false;
    let shards: ShardSupervisor | undefined;
    let preflight: PreflightResponder | undefined;
    let registered: Promise<number | undefined> = Promise.resolve(undefined);
    if (coordinators && clusterSecret && peer) {
      // The agent names the scheme it reaches the coordinator with: an all-HTTP cluster stays HTTP.
      const ownUrl = coordinators.urls()[0]!.startsWith('http:') ? (server.httpUrl ?? server.url) : server.url;
      registered = tls.clusterCa().then(async caPem => {
        if (stopping) return undefined;
        // One client for every call this agent makes to the coordinators and its peers.
        const http = caPem ? createClusterHttpClient({ caPem }) : undefined;
        if (caPem) forwardTransport = keepAliveTransport(caPem);
        const csr = await tls.certificateRequest(caPem);
        if (stopping) return undefined;
        membership = joinCluster({
          redis,
          workerConnection,
          keys,
          coordinator: pooledCoordinatorClient(coordinators, url => createCoordinatorClient(url, clusterSecret, http)),
          relay: { ...peer, coordinators, logger, http },
          store,
          loadChecker,
          actions,
          dataDir: config.dataDir,
          claimedUid: config.nodeId,
          addr: advertisedAddr(ownUrl),
          hostFacts: () => collectHostFacts({ dataDir: config.dataDir, redisServer: config.redisServer }),
          logger,
          metrics,
          ccs,
          timings,
          certificateRequest: () => csr,
          onCertificate: async certPem => {
            const accepted = await tls.accept(certPem, caPem);
            if (accepted) server.replaceCertificate(accepted.certPem, accepted.keyPem);
          },
        });
        const uid = await membership.registered;
        nodeUid = uid;
        if (uid !== undefined && !stopping) {
          shards = await startShardSupervisor({
            redis,
            subscriber,
            keys,
            nodeUid: uid,
            dataDir: config.dataDir,
            bind: config.host,
            redisServer: await findRedisServer(config.redisServer),
            artifacts: store,
            maxModuleBytes: config.maxArtifactBytes,
            logger: logger.child({ component: 'shards' }),
          }).catch((err: unknown) => {
            logger.error({ err }, 'could not start the shard supervisor: this node hosts no database');
            return undefined;
          });
          if (stopping) await shards?.stop();
          preflight = await startPreflightResponder({
            redis,
            subscriber,
            keys,
            nodeUid: uid,
            dataDir: config.dataDir,
            redisServer: await findRedisServer(config.redisServer),
            artifacts: store,
            maxModuleBytes: config.maxArtifactBytes,
            probeHost: probeHostOf(config.host),
            logger: logger.child({ component: 'preflight' }),
          }).catch((err: unknown) => {
            logger.error({ err }, 'could not start the pre-flight responder: upgrades of this node cannot be checked');
            return undefined;
          });
          if (stopping) await preflight?.stop();
        }
        return uid;
      });
    } else {
      logger.warn('no MODFLEET_COORDINATOR_URL: serving the local API only, without fleet operations');
    }

    return {
      url: server.url,
      httpUrl: server.httpUrl,
      logger,
      registered,
      async stop(deadlineMs = 30_000) {
        logger.info({ deadlineMs }, 'agent stopping');
        stopping = true;
        tls.stop();
        await Promise.all([server.close(deadlineMs), membership?.stop(deadlineMs), shards?.stop(), preflight?.stop()]);
        ccs.stop();
        await closeRedis();
        logger.info('agent stopped');
      },
    };
  } catch (err) {
    await closeRedis();
    throw err;
  }
}
