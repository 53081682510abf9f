export { createAgentApp, type AgentAppDeps } from './app.js';
export { loadAgentConfig, type AgentConfig } from './config.js';
export { startAgent, type RunningAgent } from './main.js';
export { createAgentServices, type AgentServices } from './services.js';
export { openDiskArtifactStore, type ArtifactStore, type InstallResult } from './artifacts/artifact-store.js';
export type { StoredArtifact } from './artifacts/artifact-types.js';
export { forwardRoutes } from './forward/forward-routes.js';
export { clusterRouteTemplates } from './forward/forwarded-routes.js';
export { COORDINATOR_UNAVAILABLE, type ForwardOptions } from './forward/forward-to-coordinator.js';
export { createCoordinatorPool, type CoordinatorPool } from './fleet/coordinator-pool.js';
export { keepAliveTransport, type CoordinatorTransport } from './forward/coordinator-transport.js';
export { type SharedAgentRedis } from './main.js';
export { startSimulatedFleet, type SimulatedFleet } from './sim/simulated-fleet.js';
export { shardDirOf } from './shards/shard-files.js';
export {
  startPreflightResponder,
  type PreflightResponder,
  type PreflightResponderDeps,
} from './preflight/preflight-responder.js';
export { runShardPreflight, type ShardPreflightDeps } from './preflight/shard-preflight.js';
export { shardArgs } from './shards/shard-args.js';
export { startShardSupervisor, type ShardSupervisorDeps } from './shards/shard-supervisor.js';
