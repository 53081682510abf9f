import {
  errorMiddleware,
  notFoundHandler,
  requestLogger,
  type Authenticator,
  type ClusterSettingsStore,
  type Logger,
} from '@modfleet/common';
import express, { type Express } from 'express';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { artifactRoutes } from './artifacts/artifact-routes.js';

export interface AgentAppDeps {
  logger: Logger;
  auth: Authenticator;
  settings: Pick<ClusterSettingsStore, 'get'>;
  store: ArtifactStore;
  maxArtifactBytes: number;
  /** Answers whether this node can serve requests (Redis reachable). */
  healthy: () => Promise<boolean>;
}

/** Builds the agent's HTTP app; it never listens (main.ts and tests do). */
export function createAgentApp(deps: AgentAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(deps.logger));
  app.get('/healthz', async (_req, res) => {
    const ok = await deps.healthy();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'redis_unavailable' });
  });
  app.use(artifactRoutes(deps));
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  return app;
}
