export {
  AppError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotAcceptableError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  isAppError,
} from './errors.js';
export {
  pathTo,
  routes,
  type RouteParamNames,
  type RouteParams,
  type Routes,
  type RouteTemplate,
} from './contract/routes.js';
export {
  OP_STATUSES,
  TERMINAL_OP_STATUSES,
  type ActionAccepted,
  type ActionObject,
  type ActionStatus,
  type OpStatus,
  type PendingOp,
} from './contract/action-object.js';
export type {
  ClusterSettingsView,
  FleetArtifactView,
  HealthAnswer,
  LocalArtifactListing,
  NodeArtifactState,
  NodeArtifactView,
  NodeRegistrationAnswer,
  NodeRegistrationRequest,
  NodeView,
  RsErrorBody,
  UploadedArtifact,
  UserView,
} from './contract/views.js';
export type { ModuleObject } from './contract/module-object.js';
export { PERMISSIONS, ROLES, roleHasPermission, type Permission, type Role } from './roles.js';
export { redisKeys, type RedisKeys } from './redis-keys.js';
export { createLogger, LOG_LEVELS, REDACTED_PATHS, type LogLevel, type Logger } from './logger.js';
export { ConfigError, envSchemas, ONE_GIB, parseEnv, tlsOption, withTlsPairCheck, type Env } from './env.js';
export { connectRedis, createRedis, redactRedisUrl, type RedisRole } from './redis.js';

export { hashPassword, verifyPassword } from './auth/password-hash.js';
export { createAuthenticator, type Authenticator, type AuthenticatorOptions } from './auth/authenticator.js';
export { parseBasicAuthorization, type BasicCredentials } from './auth/basic-credentials.js';
export { BASIC_CHALLENGE, currentUser, requirePermission } from './auth/require-permission.js';
export { watchCcsChanges, type CcsCaches } from './ccs/watch-ccs-changes.js';
export { requireUploadsAllowed } from './auth/require-uploads-allowed.js';

export { createRedisUserStore, type UserStore } from './ccs/user-store.js';
export {
  createUserSchema,
  roleSchema,
  toPublicUser,
  updateUserSchema,
  type CreateUserInput,
  type PublicUser,
  type UpdateUserInput,
  type UserRecord,
} from './ccs/user-types.js';
export {
  cacheClusterSettings,
  clusterSettingsPatchSchema,
  createRedisClusterSettingsStore,
  type ClusterSettings,
  type ClusterSettingsPatch,
  type CachedClusterSettingsStore,
  type ClusterSettingsStore,
} from './ccs/cluster-settings-store.js';

export {
  commandSchema,
  describeZodError,
  moduleDefinitionSchema,
  moduleManifestSchema,
  moduleNameSchema,
  moduleVersionSchema,
  type ModuleDefinition,
  type ModuleManifest,
} from './artifacts/module-schemas.js';
export {
  entryNameProblem,
  inspectArtifact,
  MANIFEST_NAME,
  type InspectedArtifact,
} from './artifacts/inspect-artifact.js';
export { createHashingDiskStorage, uploadedFile } from './artifacts/hashing-disk-storage.js';
export { TEMP_UPLOAD_PREFIX, writeHashedTempFile, type HashedUpload } from './artifacts/hashed-temp-file.js';

export { acceptBody, jsonBody } from './http/body.js';
export { ARTIFACT_FIELD, receiveArtifact, requireUploadedArtifact } from './http/receive-artifact.js';
export { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
export { healthRoute } from './http/health-route.js';
export { listen, onShutdownSignal, type ListenOptions, type RunningServer } from './http/http-server.js';
export { REQUEST_ID_HEADER, requestLogger } from './http/request-logger.js';
export { validateBody } from './http/validate-body.js';

export {
  ACTIONS_QUEUE,
  ARTIFACT_OPS,
  artifactJobSchema,
  FINISHED_JOB_RETENTION,
  QUEUE_EVENTS_MAX_LEN,
  NODE_JOB_ATTEMPTS,
  NODE_JOB_BACKOFF,
  nodeQueueName,
  type ArtifactJob,
  type ArtifactOpKind,
} from './fleet/queues.js';
export type { ActionMeta, OpRecord } from './fleet/action-types.js';
export { actionStatus, toActionObject } from './fleet/action-status.js';
export {
  createRedisActionStore,
  nodeOpKey,
  type ActionStore,
  type NodeOpSummary,
  type StoredAction,
} from './fleet/action-store.js';
export { SIGNATURE_HEADER, signRequest, verifyRequestSignature } from './fleet/cluster-signature.js';
export { resolveClusterSecret } from './fleet/cluster-secret.js';
export { artifactKey, readInventory, reportInventory } from './fleet/node-inventory.js';
export { sendHeartbeat } from './fleet/node-heartbeat.js';
export { createMetrics, type Metrics } from './metrics/metrics.js';
export { httpMetrics } from './http/metrics-middleware.js';
export { isLoopback, metricsRoute } from './http/metrics-route.js';
export { luaScript, type LuaScript } from './lua-script.js';
export {
  hashPieces,
  MAX_INLINE_PIECES,
  PIECE_SIZE,
  pieceCount,
  pieceRange,
  sha256Hex,
  type PieceIndex,
} from './pieces/piece-layout.js';
export {
  BLOB_PIECES_ROUTE,
  blobPiecesPath,
  ORIGIN_SOURCE,
  PEER_BLOB_ROUTE,
  peerBlobPath,
  peerSourceId,
} from './pieces/peer-blob-route.js';
export {
  blobSourceSchema,
  piecePlanSchema,
  type BlobSource,
  type PiecePlan,
  type SourceUse,
} from './pieces/relay-payload.js';
export { RangeNotSatisfiableError } from './pieces/range-not-satisfiable.js';
