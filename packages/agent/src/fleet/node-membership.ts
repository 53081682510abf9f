import { randomUUID } from 'node:crypto';
import {
  createRedisNodeInventoryStore,
  DEFAULT_TIMINGS,
  sendHeartbeat,
  type ActionStore,
  type CcsWatch,
  type Logger,
  type Metrics,
  type NodeHostFacts,
  type RedisKeys,
  type ServiceTimings,
} from '@modfleet/common';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Relay } from '../relay/relay-download.js';
import type { LoadChecker } from '../load-check/load-checker.js';
import { PermanentCoordinatorError, type CoordinatorClient } from './coordinator-client.js';
import { readNodeUid, writeNodeUid } from './node-identity.js';
import { startNodeWorker } from './node-worker.js';

export interface MembershipDeps {
  redis: Redis;
  workerConnection: Redis;
  keys: RedisKeys;
  coordinator: CoordinatorClient;
  store: ArtifactStore;
  loadChecker: LoadChecker;
  actions: ActionStore;
  dataDir: string;
  /** MODFLEET_NODE_ID: a uid to claim instead of asking for one. */
  claimedUid: number | undefined;
  /** The agent's own base URL as other machines reach it. */
  addr: string;
  /** This host's facts for the RS node object, read at each registration attempt. */
  hostFacts?: () => Promise<NodeHostFacts>;
  logger: Logger;
  metrics: Metrics;
  /** Pull installs from peers and the origin, piece by piece. */
  relay?: Relay;
  /** The CCS marker: a node missing from a CCS that was lost or re-created was not removed, it rejoins. */
  ccs?: CcsWatch;
  /** This node's certificate request, while its certificate is not one the cluster CA signed. */
  certificateRequest?: () => string | undefined;
  /** Receives the certificate the coordinator signed (PEM). */
  onCertificate?: (certPem: string) => Promise<void>;
  /** Heartbeat interval and the worker's lock (absent: production's). */
  timings?: ServiceTimings;
}

export interface Membership {
  /** Resolves once registered (or never, while the coordinator is away); stop() ends the wait. */
  readonly registered: Promise<number | undefined>;
  /** Tells the fleet what this node holds now. */
  inventoryChanged(): void;
  /** Registers again under the same uid and reports the inventory (the CCS was re-created empty). */
  rejoin(): Promise<void>;
  stop(deadlineMs: number): Promise<void>;
}

/**
 * Joins the cluster: registers with the coordinator (retrying until it answers), keeps the uid
 * in the data dir, heartbeats through Redis, reports the node's inventory and consumes the node's
 * queue. The local API works throughout; only fleet ops wait for registration.
 */
export function joinCluster(deps: MembershipDeps): Membership {
  const { redis, keys, coordinator, store, dataDir, logger } = deps;
  const instance_id = randomUUID();
  let stopped = false;
  let nodeUid: number | undefined;
  let worker: Worker | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let reporting: Promise<void> = Promise.resolve();
  let wake: () => void = () => undefined;

  const inventory = createRedisNodeInventoryStore(redis, keys);
  const report = () => {
    if (nodeUid === undefined) return;
    const uid = nodeUid;
    reporting = reporting
      .then(() => inventory.report(uid, store.list()))
      .catch((err: unknown) => logger.error({ err }, 'could not report the node inventory'));
  };

  async function register(): Promise<number | undefined> {
    const known = nodeUid ?? deps.claimedUid ?? (await readNodeUid(dataDir));
    for (let attempt = 0; !stopped; attempt += 1) {
      try {
        const host = await deps.hostFacts?.().catch((err: unknown) => {
          logger.warn({ err }, 'could not read the host facts; the node object shows RS defaults');
          return undefined;
        });
        const csr = deps.certificateRequest?.();
        const { uid, joined, certificate } = await coordinator.register({
          uid: known,
          addr: deps.addr,
          instance_id,
          host,
          ...(csr && { csr }),
        });
        if (certificate) await deps.onCertificate?.(certificate);
        await writeNodeUid(dataDir, uid);
        logger.info({ node_uid: uid, joined }, joined ? 'joined the cluster' : 'rejoined the cluster');
        return uid;
      } catch (err) {
        const level = err instanceof PermanentCoordinatorError ? 'error' : 'warn';
        logger[level]({ err, attempt }, 'registration with the coordinator failed; retrying');
        await new Promise<void>(resolve => {
          wake = resolve;
          setTimeout(resolve, Math.min(500 * 2 ** attempt, 10_000)).unref();
        });
      }
    }
    return undefined;
  }

  let joinedEpoch: string | undefined;
  let rejoining: Promise<void> | undefined;
  /** Not a member: removed by an admin, unless the CCS this node joined is gone or was re-created. */
  async function removed(): Promise<boolean> {
    if (!deps.ccs) return true;
    await deps.ccs.check();
    // No epoch seen at join (a CCS from before markers): a missing record can only mean a removal.
    return deps.ccs.problem() === undefined && (joinedEpoch === undefined || deps.ccs.epoch() === joinedEpoch);
  }

  const registered = register().then(async uid => {
    // The coordinator that just answered has written the marker: read the epoch this node joined.
    await deps.ccs?.check();
    joinedEpoch = deps.ccs?.epoch();
    if (uid === undefined || stopped) return undefined;
    nodeUid = uid;
    report();
    worker = startNodeWorker({
      ...deps,
      nodeUid: uid,
      connection: deps.workerConnection,
      queuePrefix: keys.queuePrefix,
    });
    const beat = () => {
      sendHeartbeat(redis, keys, uid).then(
        async member => {
          if (member || stopped || !(await removed())) return;
          logger.error(
            { node_uid: uid },
            'this node was removed from the cluster: fleet ops stop; restart the agent to rejoin',
          );
          clearInterval(heartbeat);
          void worker?.close();
        },
        (err: unknown) => logger.warn({ err }, 'heartbeat failed'),
      );
    };
    heartbeat = setInterval(beat, (deps.timings ?? DEFAULT_TIMINGS).heartbeatIntervalMs);
    // A node that registered with a certificate request shows active from this first beat on.
    beat();
    return uid;
  });

  return {
    registered,
    inventoryChanged: report,
    rejoin() {
      if (nodeUid === undefined || stopped) return Promise.resolve();
      rejoining ??= register()
        .then(async () => {
          await deps.ccs?.check();
          joinedEpoch = deps.ccs?.epoch();
          report();
        })
        .finally(() => (rejoining = undefined));
      return rejoining;
    },
    async stop(deadlineMs) {
      stopped = true;
      wake();
      clearInterval(heartbeat);
      if (worker) {
        const current = worker;
        // Let the running op finish within the deadline; after that BullMQ hands it back (stalled → retried).
        const forced = new Promise<void>(resolve => setTimeout(resolve, deadlineMs).unref()).then(() =>
          current.close(true),
        );
        await Promise.race([current.close(), forced]);
      }
      await reporting;
    },
  };
}
