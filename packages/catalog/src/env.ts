import type { EnvContract, EnvSpec, WorkloadSpec } from './types';

/**
 * The whole environment contract of a workload: the variables every service reads (PORT,
 * LOG_LEVEL, ...), those implied by its dependencies (DATABASE_URL, REDIS_URL, AMQP_URL), then its
 * own. The service kit validates process.env against it at boot; the Kubernetes constructs write
 * the same names into the manifest (secrets by reference).
 */
export function envContract(w: WorkloadSpec): EnvContract {
  const base: Record<string, EnvSpec> = {};
  if (w.kind === 'http' || w.kind === 'socket' || w.kind === 'worker') {
    base.PORT = {
      type: 'int',
      description: w.kind === 'worker' ? 'Port of the health and metrics server.' : 'Port to listen on.',
      default: String(w.port ?? 8000),
      min: 1,
      max: 65535,
    };
    base.HOST = { type: 'string', description: 'Address to bind.', default: '0.0.0.0' };
    base.LOG_LEVEL = {
      type: 'enum',
      values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      description: 'pino log level.',
      default: 'info',
    };
    base.SHUTDOWN_TIMEOUT_MS = {
      type: 'int',
      description: 'How long SIGTERM waits for in-flight work before closing anyway.',
      default: '10000',
      min: 0,
      max: 120000,
    };
  }
  const d = w.dependencies ?? {};
  if (d.postgres) {
    base.DATABASE_URL = {
      type: 'url',
      description: `PostgreSQL URL of database "${d.postgres.database}" on ${d.postgres.server}.`,
      secret: true,
      ...(d.postgres.optional ? {} : { required: true }),
    };
    base.DATABASE_POOL_MAX = { type: 'int', description: 'Pool size.', default: '10', min: 1, max: 100 };
  }
  if (d.redis) {
    base.REDIS_URL = {
      type: 'url',
      description: `Redis URL of ${d.redis.server}.`,
      secret: true,
      ...(d.redis.optional ? {} : { required: true }),
    };
    base.REDIS_KEY_PREFIX = {
      type: 'string',
      description: 'Prefix of every Redis key this workload writes.',
      default: d.redis.keyPrefix ?? `${w.name}:`,
    };
  }
  if (d.amqp) {
    base.AMQP_URL = {
      type: 'url',
      description: `AMQP URL of ${d.amqp.server}.`,
      secret: true,
      required: true,
    };
  }
  return { ...base, ...(w.env ?? {}) };
}
