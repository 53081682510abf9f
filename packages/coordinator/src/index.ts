export { createCoordinatorApp, type CoordinatorAppDeps } from './app.js';
export { loadCoordinatorConfig, type CoordinatorConfig } from './config.js';
export { startCoordinator, type RunningCoordinator } from './main.js';
export { createRedisModuleStore, type ModuleStore } from './modules/module-store.js';
export { ensureAdmin, NoAdminError } from './users/bootstrap-admin.js';
export { createDispatcher, type ActionRequest, type Dispatcher } from './fleet/dispatcher.js';
export { createRedisInflightStore, type InflightStore } from './actions/inflight-store.js';
