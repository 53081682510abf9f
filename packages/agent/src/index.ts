export { createAgentApp, type AgentAppDeps } from './app.js';
export { loadAgentConfig, type AgentConfig } from './config.js';
export { startAgent, type RunningAgent } from './main.js';
export { openDiskArtifactStore, type ArtifactStore, type InstallResult } from './artifacts/artifact-store.js';
export type { StoredArtifact } from './artifacts/artifact-types.js';
export { forwardRoutes } from './forward/forward-routes.js';
export { clusterRouteTemplates } from './forward/forwarded-routes.js';
export { COORDINATOR_UNAVAILABLE, type ForwardOptions } from './forward/forward-to-coordinator.js';
export { keepAliveTransport, type CoordinatorTransport } from './forward/coordinator-transport.js';
