// The HTTP contract alone: routes, the RS objects, error classes and roles. The CLI's commands import
// this entry (`@modfleet/common/contract`) rather than the whole package, so a command starts without
// loading Redis, logging or zip libraries. It imports no library.

export {
  AppError,
  BadGatewayError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotAcceptableError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  isAppError,
} from '../errors.js';
export { pathTo, routes, type RouteParamNames, type RouteParams, type Routes, type RouteTemplate } from './routes.js';
export {
  OP_STATUSES,
  TERMINAL_OP_STATUSES,
  type ActionAccepted,
  type ActionObject,
  type ActionStatus,
  type OpStatus,
  type PendingOp,
} from './action-object.js';
export type {
  ClusterSettingsView,
  FleetArtifactView,
  HealthAnswer,
  LocalArtifactListing,
  NodeArtifactState,
  NodeArtifactView,
  NodeRegistrationAnswer,
  NodeHostFacts,
  NodeRegistrationRequest,
  NodeView,
  SupportedDatabaseVersion,
  RsErrorBody,
  UploadedArtifact,
  UserView,
  DiskCheck,
  InventoryEntry,
  NodeInventory,
} from './views.js';
export { PERMISSIONS, ROLES, roleHasPermission, type Permission, type Role } from '../roles.js';
export type { LoadCheck, LoadCheckMode } from '../modules/load-check-types.js';
export {
  BDB_STATUSES,
  DATA_PERSISTENCE,
  SHARD_STATES,
  type BdbEndpoint,
  type BdbModuleEntry,
  type BdbObject,
  type BdbStatus,
  type DataPersistence,
  type ShardModule,
  type ShardObject,
  type ShardPlan,
  type ShardReport,
  type ShardState,
  type StateMachineObject,
  type UpgradeHeading,
  type V1ActionList,
  type V1TaskObject,
} from './bdb-object.js';
export {
  fitsRedis,
  moduleStatusTables,
  type ClusterModuleRow,
  type DatabaseModuleRow,
  type InstalledModule,
  type ModuleStatusTables,
} from './module-status.js';
export type {
  BdbUpgradeRequest,
  LastUpgrade,
  RollbackVerdict,
  ShardPreflight,
  ShardRef,
  UpgradeDryRunAnswer,
  UpgradeModuleChange,
  UpgradePreflight,
} from './bdb-upgrade.js';
export { MODULE_NAME_RULES, moduleNameProblem } from './module-name.js';
export { LOG_EVENT_TYPES, type LogEvent, type LogEventType, type LogQuery, type LogSeverity } from './log-event.js';
