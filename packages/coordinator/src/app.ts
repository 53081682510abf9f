import {
  errorMiddleware,
  healthRoute,
  httpMetrics,
  metricsRoute,
  notFoundHandler,
  refuseCrossOrigin,
  requestLogger,
  type ActionStore,
  type Authenticator,
  type CachedClusterSettingsStore,
  type Logger,
  type LoginLockout,
  type Metrics,
  type NodeInventoryStore,
  type PortRanges,
  type UserStore,
} from '@modfleet/common';
import express, { type Express } from 'express';
import { actionRoutes } from './actions/action-routes.js';
import { queueDashboardRoutes } from './admin/queue-dashboard.js';
import type { EventLog } from './audit/event-log.js';
import { logRoutes } from './audit/log-routes.js';
import { clusterRoutes } from './cluster-settings/cluster-routes.js';
import { blobCopyRoutes } from './fleet/blobs/blob-copy-routes.js';
import { blobRoutes } from './fleet/blobs/blob-routes.js';
import type { PieceIndexStore } from './fleet/distribution/piece-index-store.js';
import { pieceRoutes } from './fleet/distribution/piece-routes.js';
import type { BlobStore } from './fleet/blobs/blob-store.js';
import { fleetRoutes } from './fleet/fleet-routes.js';
import type { FleetService } from './fleet/fleet-service.js';
import type { NodeQueues } from './fleet/dispatch/node-queues.js';
import type { NodeRegistry } from './nodes/node-registry.js';
import type { NodeRemoval } from './nodes/node-removal.js';
import { nodeRoutes } from './nodes/node-routes.js';
import { statusPageRoutes } from './status-page/status-page-routes.js';
import { moduleRoutes } from './modules/module-routes.js';
import type { ModuleStore } from './modules/module-store.js';
import { userRoutes } from './users/user-routes.js';
import { bdbGuardRoutes } from './bdbs/bdb-guards.js';
import { bdbRoutes } from './bdbs/bdb-routes.js';
import type { BdbStore } from './bdbs/bdb-store.js';
import { v1ActionRoutes } from './bdbs/v1-action-routes.js';
import { skippedPreflight } from './bdbs/upgrade/default-preflight.js';
import type { PreflightRunner } from './bdbs/upgrade/preflight-runner.js';
import type { UpgradeQueue } from './bdbs/upgrade/upgrade-job.js';
import { upgradeRoutes } from './bdbs/upgrade/upgrade-routes.js';
import { v1ModuleUploadGoneRoutes } from './modules/v1-module-upload-gone.js';

export interface CoordinatorAppDeps {
  logger: Logger;
  auth: Authenticator;
  users: UserStore;
  /** Login lockout counters (absent: users are never locked). */
  lockout?: LoginLockout;
  /** Cached for uploads and logins; `GET /v1/cluster` reads through it to Redis. */
  settings: CachedClusterSettingsStore;
  modules: ModuleStore;
  nodes: NodeRegistry;
  removal: NodeRemoval;
  fleet: FleetService;
  blobs: BlobStore;
  /** This coordinator's own blobs, when `blobs` also reaches its peers: peers copy to and read from it. */
  localBlobs?: BlobStore;
  /** Piece lists of stored blobs, for relayed installs (absent: no piece-list route). */
  pieces?: PieceIndexStore;
  actions: ActionStore;
  /** The cluster event log (`GET /v1/logs`). */
  events: EventLog;
  clusterSecret: string;
  /** Signs agents' certificate requests with the cluster CA (absent: the coordinator holds no CA key). */
  signCertificate?: ((csrPem: string, permitted: readonly string[]) => Promise<string>) | undefined;
  /** The coordinator's own certificate names: the CA signs none of them for a node. */
  coordinatorNames: readonly string[];
  /** Marks a signed request's nonce used; false when it was. */
  claimNonce: (nonce: string) => Promise<boolean>;
  /** MODFLEET_ALLOW_HTTP_NODES: nodes may register a plain http:// addr. */
  allowHttpNodes: boolean;
  maxArtifactBytes: number;
  /** `MODFLEET_PUSH_URL_ALLOW`: the URL prefixes a push may fetch from (unset: any http(s) URL). */
  pushUrlAllow?: readonly string[] | undefined;
  healthy: () => Promise<boolean>;
  /** Why this service cannot serve although Redis answers (its CCS lost its data), for /healthz. */
  ccsProblem?: () => string | undefined;
  queues: NodeQueues;
  metrics: Metrics;
  /** Serve /metrics without credentials (loopback-only listener, or MODFLEET_METRICS_PUBLIC). */
  metricsOpen: boolean;
  /** RS databases (absent: no bdb routes). */
  databases?: {
    store: BdbStore;
    inventory: Pick<NodeInventoryStore, 'read'>;
    dbPorts: PortRanges;
    /** Where upgrades run (absent: no upgrade routes). */
    upgrades?: UpgradeQueue;
    /** The pre-flight on the hosting nodes (absent: skipped, rollback `not_rehearsed`). */
    preflight?: PreflightRunner;
  };
}

/** Builds the coordinator's HTTP app (CCS routes, nodes, fleet, actions); it never listens. */
export function createCoordinatorApp(deps: CoordinatorAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(httpMetrics(deps.metrics));
  app.use(requestLogger(deps.logger));
  app.use(healthRoute(deps.healthy, deps.ccsProblem));
  app.use(refuseCrossOrigin());
  if (deps.databases) app.use(bdbGuardRoutes({ auth: deps.auth, store: deps.databases.store }));
  // Fleet routes first: `/v2/modules/user-defined/artifacts/…` must not reach the CCS `/:uid` routes.
  app.use(fleetRoutes({ ...deps, uploadTempDir: deps.blobs.tempDir }));
  app.use(moduleRoutes(deps));
  app.use(nodeRoutes({ ...deps, onJoin: uid => deps.fleet.welcome(uid) }));
  app.use(actionRoutes(deps));
  if (deps.pieces) app.use(pieceRoutes({ pieces: deps.pieces, clusterSecret: deps.clusterSecret }));
  app.use(blobRoutes(deps));
  if (deps.localBlobs) app.use(blobCopyRoutes({ local: deps.localBlobs, clusterSecret: deps.clusterSecret }));
  app.use(metricsRoute(deps.metrics, { open: deps.metricsOpen, auth: deps.auth }));
  app.use(queueDashboardRoutes(deps));
  app.use(statusPageRoutes());
  app.use(userRoutes(deps));
  app.use(clusterRoutes(deps));
  app.use(logRoutes(deps));
  app.use(v1ModuleUploadGoneRoutes());
  if (deps.databases) {
    const { store, inventory, dbPorts, upgrades, preflight = skippedPreflight } = deps.databases;
    if (upgrades) {
      app.use(
        upgradeRoutes({
          auth: deps.auth,
          store,
          modules: deps.modules,
          inventory,
          preflight,
          upgrades,
          events: deps.events,
        }),
      );
    }
    app.use(
      bdbRoutes({
        auth: deps.auth,
        store,
        modules: deps.modules,
        nodes: deps.nodes,
        inventory,
        dbPorts,
        events: deps.events,
      }),
    );
    app.use(v1ActionRoutes({ auth: deps.auth, actions: deps.actions, bdbs: store }));
  }
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  return app;
}
