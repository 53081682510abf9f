export { createAgentApp, type AgentAppDeps } from './app.js';
export { loadAgentConfig, type AgentConfig } from './config.js';
export { startAgent, type RunningAgent } from './main.js';
export { openDiskArtifactStore, type ArtifactStore, type InstallResult } from './artifacts/artifact-store.js';
export type { StoredArtifact } from './artifacts/artifact-types.js';
export { type SharedAgentRedis } from './main.js';
export { startSimulatedFleet, type SimulatedFleet } from './sim/simulated-fleet.js';
