// The HTTP contract (also its own light entry, @modfleet/common/contract).
export * from './contract/index.js';
// Waiting for a state (also its own light entry, @modfleet/common/poll).
export * from './poll/index.js';
export {
  MODULE_OBJECT_DEFAULTS,
  moduleObjectBodySchema,
  toModuleObject,
  type ModuleObject,
} from './contract/module-object.js';
export { artifactKey, nodeOpKey, nodeOpsOfNode, parseArtifactKey, redisKeys, type RedisKeys } from './redis-keys.js';
export { createLogger, LOG_LEVELS, REDACTED_PATHS, type LogLevel, type Logger } from './logger.js';
export { ConfigError, type Env } from './env.js';
export {
  defaultOf,
  ENV_VARIABLES,
  flagOf,
  flagSpecOf,
  isInternalVariable,
  serviceSchemaOf,
  serviceVariables,
  type EnvName,
  type ServiceName,
} from './config/env-registry.js';
export { loadServiceConfig, type ServiceConfig } from './config/service-config.js';
export { connectRedis, createRedis, describeRedisTarget, redactRedisUrl, type RedisRole } from './redis.js';
export {
  clusterPrefixOf,
  hasHashTag,
  parseRedisNodes,
  redisTargetOf,
  type RedisNode,
  type RedisTarget,
  type RedisTargetConfig,
} from './redis-target.js';

export { hashPassword, verifyPassword } from './auth/password-hash.js';
export {
  createAuthenticator,
  MAX_EMAIL_LENGTH,
  type Authenticator,
  type AuthenticatorOptions,
} from './auth/authenticator.js';
export {
  clientKey,
  createRedisLoginLockout,
  LOCK_CAP_MS,
  LOCKOUT_DEFAULTS,
  logLocked,
  UserLockedError,
  type LockoutPolicy,
  type LoginLockout,
} from './auth/login-lockout.js';
export { parseBasicAuthorization, type BasicCredentials } from './auth/basic-credentials.js';
export { BASIC_CHALLENGE, currentUser, requirePermission } from './auth/require-permission.js';
export { watchCcsChanges, type CcsCaches } from './ccs/watch-ccs-changes.js';
export {
  CCS_LOST_REASON,
  CCS_MARKER_CHECK_MS,
  ensureCcsMarker,
  watchCcsMarker,
  type CcsWatch,
  type CcsWatchHooks,
} from './ccs/ccs-marker.js';
export { requireUploadsAllowed } from './auth/require-uploads-allowed.js';

export { type UserStore } from './users/user-store.js';
export { createRedisUserStore } from './users/redis-user-store.js';
export {
  createUserSchema,
  roleSchema,
  toPublicUser,
  updateUserSchema,
  type CreateUserInput,
  type PublicUser,
  type UpdateUserInput,
  type UserRecord,
} from './users/user-types.js';
export {
  cacheClusterSettings,
  clusterSettingsPatchSchema,
  type ClusterSettings,
  type ClusterSettingsPatch,
  type CachedClusterSettingsStore,
  type ClusterSettingsStore,
} from './cluster-settings/cluster-settings-store.js';
export { createRedisClusterSettingsStore } from './cluster-settings/redis-cluster-settings-store.js';

export {
  commandSchema,
  describeZodError,
  moduleDefinitionSchema,
  moduleManifestSchema,
  moduleNameSchema,
  moduleVersionSchema,
  type ModuleDefinition,
  type ModuleManifest,
  dependencyNamesOf,
  dependencySources,
  moduleDependenciesSchema,
  type DependencySource,
  type ModuleDependencies,
} from './artifacts/module-schemas.js';
export {
  entryNameProblem,
  inspectArtifact,
  MANIFEST_NAME,
  type InspectedArtifact,
} from './artifacts/inspect-artifact.js';
export { createHashingDiskStorage, uploadedFile } from './artifacts/hashing-disk-storage.js';
export { TEMP_UPLOAD_PREFIX, writeHashedTempFile, type HashedUpload } from './artifacts/hashed-temp-file.js';
export { fsyncDir, renameDurable, writeFileDurable } from './durable-fs.js';

export { acceptBody, jsonBody, requireJsonContent } from './http/body.js';
export { signedJsonBody } from './http/signed-json-body.js';
export { refuseCrossOrigin } from './http/same-origin.js';
export { ARTIFACT_FIELD, receiveArtifact, requireUploadedArtifact } from './http/receive-artifact.js';
export { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
export { healthRoute } from './http/health-route.js';
export {
  listen,
  onShutdownSignal,
  type ListenOptions,
  type RunningServer,
  type ServerTls,
} from './http/http-server.js';
export { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './http/connection-limits.js';
export {
  certificateStillFits,
  createCertificateRequest,
  createClusterCa,
  generateKeyPem,
  issueServerCertificate,
  selfSignedCertificate,
  signCertificateRequest,
  type PemPair,
} from './tls/certificates.js';
export { certificateNames, isWildcardHost } from './tls/certificate-names.js';
export { caHolderTls, type CaHolderTls } from './tls/ca-holder-tls.js';
export {
  CLUSTER_CONNECT_TIMEOUT_MS,
  ClusterHttpError,
  clusterNodeAgents,
  createClusterHttpClient,
  POOLED_IDLE_MS,
  PROXY_CONNECT_TIMEOUT_MS,
  PROXY_IDLE_TIMEOUT_MS,
  refusal,
  sharedClusterHttpClient,
  type ChunkSink,
  type ClusterAnswer,
  type ClusterCall,
  type ClusterHttpClient,
  type ClusterHttpClientOptions,
} from './http/cluster-client.js';
export { nodeAddr } from './tls/node-addr.js';
export { sealCa, unsealCa } from './tls/sealed-ca.js';
export {
  loadOrCreateCa,
  loadOrCreateKey,
  readCertificate,
  tlsDirOf,
  writeCaFiles,
  TLS_FILES,
  writeCaCertificate,
  writeCertificate,
} from './tls/tls-files.js';
export { REQUEST_ID_HEADER, requestLogger } from './http/request-logger.js';
export { validateBody } from './http/validate-body.js';

export {
  ACTIONS_QUEUE,
  ARTIFACT_OPS,
  artifactJobSchema,
  childJobId,
  FINISHED_JOB_RETENTION,
  QUEUE_EVENTS_MAX_LEN,
  NODE_JOB_ATTEMPTS,
  NODE_JOB_BACKOFF,
  nodeQueueName,
  type ArtifactJob,
  type ArtifactOpKind,
} from './fleet/queues.js';
export type { ActionMeta, OpRecord } from './fleet/action-types.js';
export { actionStatus, toActionObject } from './actions/action-status.js';
export { type ActionStore, type NodeOpSummary, type StoredAction } from './actions/action-store.js';
export { createRedisActionStore } from './actions/redis-action-store.js';
export {
  bodySha256,
  SIGNATURE_HEADER,
  SIGNATURE_WINDOW_MS,
  signRequest,
  verifyRequestSignature,
  type VerifiedSignature,
} from './fleet/cluster-signature.js';
export { claimSignatureNonce } from './fleet/signature-nonce.js';
export { resolveClusterSecret } from './fleet/cluster-secret.js';
export { type HeldArtifact, type NodeInventoryStore } from './nodes/node-inventory-store.js';
export { createRedisNodeInventoryStore } from './nodes/redis-node-inventory-store.js';
export { sendHeartbeat } from './fleet/node-heartbeat.js';
export { createMetrics, type Metrics } from './metrics/metrics.js';
export { httpMetrics } from './http/metrics-middleware.js';
export { isLoopback, metricsRoute } from './http/metrics-route.js';
export { defineRedisCommands, type RedisCommand } from './redis-commands.js';
export {
  hashPieces,
  MAX_INLINE_PIECES,
  PIECE_SIZE,
  pieceSizeFor,
  pieceCount,
  pieceRange,
  sha256Hex,
  type PieceIndex,
} from './pieces/piece-layout.js';
export { ORIGIN_SOURCE, peerSourceId } from './pieces/source-id.js';
export {
  blobSourceSchema,
  piecePlanSchema,
  type BlobSource,
  type PiecePlan,
  type SourceUse,
} from './pieces/relay-payload.js';
export { RangeNotSatisfiableError } from './pieces/range-not-satisfiable.js';
export {
  describeCoordinator,
  liveCoordinators,
  PRESENCE_TTL_MS,
  type CoordinatorPresence,
} from './fleet/coordinator-presence.js';

export { findRedisServer } from './modules/find-redis-server.js';
export {
  DEFAULT_CHECK_MEMORY_BYTES,
  DEFAULT_CHECK_TIMEOUT_MS,
  ThrowawayTimeoutError,
  withThrowawayRedis,
  type ThrowawayRedis,
  type ThrowawayRedisOptions,
} from './modules/throwaway-redis.js';
export {
  compareVersions,
  parseCommandInfo,
  semanticFromVersion,
  type DiscoveredModule,
  type ModuleCommand,
} from './modules/module-commands.js';
export { discoverModule, ModuleLoadError, splitModuleArgs, type DiscoverOptions } from './modules/discover-module.js';
export { loaderReason } from './modules/loader-reason.js';
export {
  compareWithModule,
  KNOWN_CAPABILITIES,
  lintCommand,
  lintManifest,
  PROXY_POLICIES,
  type LintProblem,
} from './modules/manifest-lint.js';
export { checkArtifactAgainstModule, MAX_MODULE_BYTES, type ArtifactModuleCheck } from './modules/check-artifact.js';
export { extractZipEntry } from './modules/extract-module.js';
export {
  parsePreflightAnswer,
  parsePreflightRequest,
  type PreflightAnswer,
  type PreflightRequest,
  type PreflightShardRequest,
} from './preflight/preflight-messages.js';
export {
  LOAD_CHECK_MODES,
  loadCheckModeSchema,
  type LoadCheck,
  type LoadCheckMode,
} from './modules/load-check-types.js';

export { inPortRanges, parsePortRanges, portsOf, RS_DB_PORT_RANGES, type PortRanges } from './config/port-ranges.js';
export {
  DEFAULT_TIMINGS,
  resolveTimings,
  timingOverridesSchema,
  type ServiceTimings,
  type TimingOverrides,
} from './timings/service-timings.js';
export { infoField } from './shards/info-field.js';
export { sameBesidesRole, shardPlanDigest } from './shards/plan-digest.js';
