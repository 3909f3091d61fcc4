export { createServiceApp, type ReadyCheck, type ServiceApp, type ServiceAppOptions } from './app';
export {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_TYP,
  installAuth,
  TokenVerifier,
  type AuthUser,
  type TokenVerifierOptions,
} from './auth';
export { TickBatcher } from './batch';
export {
  connectDenylist,
  denylistChannel,
  denylistKey,
  DenylistMirror,
  denylistTokens,
  type DenylistConnection,
  type DenylistEntry,
  type DenylistMirrorOptions,
} from './denylist';
export { AmqpClient, createPgPool, createRedis, type AmqpSetup } from './clients';
export { ConfigError, loadConfig, ServiceConfig, type ConfigValue } from './config';
export { withTransaction } from './db';
export {
  ErrorResponse,
  HttpError,
  installErrorHandlers,
  notFound,
  toValidationItems,
  UnprocessableError,
  ValidationErrorItem,
  ValidationErrorResponse,
} from './errors';
export { InflightTracker } from './inflight';
export { Json } from './json-schema';
export { createLogger, REDACT_PATHS, type Logger } from './logger';
export { createMetrics } from './metrics';
export { runMigrations } from './migrate';
export {
  buildService,
  runService,
  type BuildOptions,
  type BuiltService,
  type ServiceContext,
  type ServiceDefinition,
} from './service';
export { declareTopology, retryQueueName } from './topology';
