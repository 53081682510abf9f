import {
  createMetrics,
  errorMiddleware,
  healthRoute,
  httpMetrics,
  metricsRoute,
  notFoundHandler,
  refuseCrossOrigin,
  requestLogger,
  type Authenticator,
  type ClusterSettingsStore,
  type Logger,
  type Metrics,
  type ShardPlan,
} from '@modfleet/common';
import express, { type Express } from 'express';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { artifactRoutes } from './artifacts/artifact-routes.js';
import { peerBlobRoutes, type PeerRouteDeps } from './relay/peer-blob-routes.js';
import { inventoryRoutes } from './artifacts/inventory-routes.js';
import type { LoadChecker } from './load-check/load-checker.js';
import { forwardRoutes } from './forward/forward-routes.js';
import { localArtifactGuardRoutes } from './shards/local-artifact-guard.js';
import type { ForwardOptions } from './forward/forward-to-coordinator.js';

export interface AgentAppDeps {
  logger: Logger;
  auth: Authenticator;
  settings: Pick<ClusterSettingsStore, 'get'>;
  store: ArtifactStore;
  maxArtifactBytes: number;
  /** Checks each uploaded module in a throwaway redis-server before it is installed (main.ts always passes one; without it uploads are not checked). */
  loadChecker?: LoadChecker;
  /** Answers whether this node can serve requests (Redis reachable). */
  healthy: () => Promise<boolean>;
  /** Why this service cannot serve although Redis answers (its CCS lost its data), for /healthz. */
  ccsProblem?: () => string | undefined;
  metrics?: Metrics;
  /** Serve /metrics without credentials (loopback-only listener, or MODFLEET_METRICS_PUBLIC). */
  metricsOpen?: boolean;
  /** Serve verified artifacts to peers (cluster members only: signed with the cluster secret). */
  peer?: Omit<PeerRouteDeps, 'logger' | 'metrics'>;
  /** This node's uid once registered (the inventory route reports it). */
  nodeUid?: () => number | undefined;
  /** Pass every cluster route to the coordinator (main.ts always does; without it they answer 404). */
  forward?: ForwardOptions;
  /** The shards this node runs (absent: none): an artifact one of them loads cannot be deleted. */
  shardPlans?: () => Promise<ShardPlan[]>;
}

/** Builds the agent's HTTP app; it never listens (main.ts and tests do). */
export function createAgentApp(deps: AgentAppDeps): Express {
  const metrics = deps.metrics ?? createMetrics('agent');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(httpMetrics(metrics));
  app.use(requestLogger(deps.logger));
  app.use(healthRoute(deps.healthy, deps.ccsProblem));
  app.use(refuseCrossOrigin());
  app.use(metricsRoute(metrics, { open: deps.metricsOpen ?? false, auth: deps.auth }));
  if (deps.peer) app.use(peerBlobRoutes({ ...deps.peer, logger: deps.logger, metrics }));
  app.use(inventoryRoutes({ ...deps, nodeUid: deps.nodeUid ?? (() => undefined) }));
  if (deps.shardPlans) app.use(localArtifactGuardRoutes({ auth: deps.auth, plans: deps.shardPlans }));
  app.use(artifactRoutes({ ...deps, metrics }));
  if (deps.forward) app.use(forwardRoutes(deps.forward));
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  return app;
}
