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
  type RsErrorBody,
} from './errors.js';
export { PERMISSIONS, ROLES, roleHasPermission, type Permission, type Role } from './roles.js';
export { redisKeys, type RedisKeys } from './redis-keys.js';
export { createLogger, LOG_LEVELS, REDACTED_PATHS, type LogLevel, type Logger } from './logger.js';
export { ConfigError, envSchemas, ONE_GIB, parseEnv, tlsOption, tlsPairCheck, type Env } from './env.js';
export { connectRedis, createRedis, redactRedisUrl, type RedisRole } from './redis.js';

export { hashPassword, verifyPassword } from './auth/password-hash.js';
export { createAuthenticator, type Authenticator, type AuthenticatorOptions } from './auth/authenticator.js';
export { parseBasicAuthorization, type BasicCredentials } from './auth/basic-credentials.js';
export { BASIC_CHALLENGE, currentUser, requirePermission } from './auth/require-permission.js';
export { watchUserChanges } from './auth/watch-user-changes.js';
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
  clusterSettingsPatchSchema,
  createRedisClusterSettingsStore,
  type ClusterSettings,
  type ClusterSettingsPatch,
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
export {
  createHashingDiskStorage,
  TEMP_UPLOAD_PREFIX,
  uploadedFile,
  type HashedUpload,
} from './artifacts/hashing-disk-storage.js';

export { acceptBody, jsonBody } from './http/body.js';
export { ARTIFACT_FIELD, receiveArtifact, requireUploadedArtifact } from './http/receive-artifact.js';
export { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
export { listen, onShutdownSignal, type ListenOptions, type RunningServer } from './http/http-server.js';
export { REQUEST_ID_HEADER, requestLogger } from './http/request-logger.js';
export { validateBody } from './http/validate-body.js';
