export { createCoordinatorApp, type CoordinatorAppDeps } from './app.js';
export { loadCoordinatorConfig, type CoordinatorConfig } from './config.js';
export { startCoordinator, type RunningCoordinator } from './main.js';
export { createRedisModuleStore, type ModuleStore } from './modules/module-store.js';
export { ensureAdmin, NoAdminError, redisBootstrapMarker } from './users/bootstrap-admin.js';
export { createDispatcher, type ActionRequest, type Dispatcher } from './fleet/dispatch/dispatcher.js';
export { warnUnlessNoEviction } from './maintenance/eviction-policy.js';
export { createRedisInflightStore, type InflightStore } from './actions/inflight-store.js';
export { startActionFinalizer } from './actions/action-finalizer.js';
export { closeOrphanedActions } from './actions/orphan-sweep.js';
export {
  createRedisFleetArtifacts,
  type FleetArtifact,
  type FleetArtifacts,
} from './fleet/desired-state/fleet-artifacts.js';
export { createRedisBdbStore } from './bdbs/redis-bdb-store.js';
export { pickedPort, toBdbObject, type BdbRecord, type BdbStore, type ShardPlacement } from './bdbs/bdb-store.js';
export { bdbRoutes, type BdbRoutesDeps } from './bdbs/bdb-routes.js';
export { v1ActionRoutes } from './bdbs/v1-action-routes.js';
export { v1ModuleUploadGoneRoutes } from './modules/v1-module-upload-gone.js';
export { bdbGuardRoutes } from './bdbs/bdb-guards.js';
export { createRedisNodeRegistry, type NodeRegistry } from './nodes/node-registry.js';
export { createCoordinatorServices, type CoordinatorServices } from './services.js';
export { createNodeRemoval } from './nodes/node-removal.js';
export { createFleetService } from './fleet/fleet-service.js';
export {
  createPreflightRunner,
  DEFAULT_PREFLIGHT_TIMEOUT_MS,
  type PreflightRunnerDeps,
} from './bdbs/upgrade/redis-preflight-runner.js';
export { preflightVerdict } from './bdbs/upgrade/preflight-verdict.js';
export { upgradeRoutes, type UpgradeRoutesDeps } from './bdbs/upgrade/upgrade-routes.js';
export { runUpgrade, type UpgradeRunnerDeps } from './bdbs/upgrade/upgrade-runner.js';
export type { UpgradeJobData, UpgradeQueue } from './bdbs/upgrade/upgrade-job.js';
export { closeOrphanedUpgrades, type UpgradeJobs, type UpgradeJobState } from './bdbs/upgrade/upgrade-orphan-sweep.js';
export { queuedUpgradeJobs, startUpgradeWorker, UPGRADE_QUEUE } from './bdbs/upgrade/upgrade-worker.js';
export type { PreflightRunner } from './bdbs/upgrade/preflight-runner.js';
export {
  redisShardControl,
  type ShardControl,
  type ReplicationInfo,
  type ShardAddress,
} from './bdbs/upgrade/shard-control.js';
export { createRedisEventLog, EVENT_LOG_CAP, selectEvents, type EventLog } from './audit/event-log.js';
