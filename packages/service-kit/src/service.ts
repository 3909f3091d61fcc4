import { catalog as platformCatalog, type Catalog, type Workload } from '@hybrid/catalog';
import type { Redis } from 'ioredis';
import type { JWTVerifyGetKey } from 'jose';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { createServiceApp, type ReadyCheck, type ServiceApp } from './app';
import { installAuth, TokenVerifier } from './auth';
import { connectDenylist } from './denylist';
import { AmqpClient, createPgPool, createRedis } from './clients';
import { ConfigError, loadConfig, type ServiceConfig } from './config';
import { InflightTracker } from './inflight';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { runMigrations } from './migrate';

/** What a service's code gets: its config and the clients its catalog entry declares. */
export interface ServiceContext {
  readonly workload: Workload;
  readonly config: ServiceConfig;
  readonly log: Logger;
  /** Present when the entry depends on PostgreSQL and DATABASE_URL is set. */
  readonly pg: pg.Pool | undefined;
  readonly redis: Redis | undefined;
  readonly amqp: AmqpClient | undefined;
  /** Present when the entry's env contract has AUTH_JWKS_URL: verifies access tokens. */
  readonly auth: TokenVerifier | undefined;
  /** The Prometheus registry behind GET /metrics: register the service's own metrics here. */
  readonly metrics: Registry;
  /** Work in progress outside HTTP requests; SIGTERM waits for it. */
  readonly inflight: InflightTracker;
  /** Runs when the service stops, after in-flight work drained, before clients close (last registered, first run). */
  onShutdown(fn: () => Promise<void> | void): void;
}

export interface ServiceDefinition {
  /** The catalog entry's name. */
  readonly workload: string;
  /** Directory of node-pg-migrate migrations, applied at boot (owners of a database only). */
  readonly migrationsDir?: string;
  readonly version?: string;
  /** Registers the service's routes; mounted under the entry's route prefix for http services. */
  readonly routes?: (app: ServiceApp, ctx: ServiceContext) => Promise<void> | void;
  /** Starts background work after the app is ready (queue consumers). */
  readonly start?: (ctx: ServiceContext, app: ServiceApp) => Promise<void> | void;
  /** Extra readiness checks. */
  readonly checks?: (ctx: ServiceContext) => Record<string, ReadyCheck>;
  readonly bodyLimit?: number;
  /** Serves the Swagger UI at /docs (see `ServiceAppOptions.docsUi`). @default true */
  readonly docsUi?: boolean;
}

export interface BuiltService {
  readonly app: ServiceApp;
  readonly ctx: ServiceContext;
  /** Stops background work, drains in-flight requests and work, closes clients. */
  close(): Promise<void>;
}

export interface BuildOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly catalog?: Catalog;
  readonly logger?: Logger;
  /** Token keys for services that verify access tokens, instead of fetching AUTH_JWKS_URL. */
  readonly jwks?: JWTVerifyGetKey;
}

/** Builds a service from its catalog entry without listening: what main.ts and tests share. */
export async function buildService(def: ServiceDefinition, opts: BuildOptions = {}): Promise<BuiltService> {
  const workload = (opts.catalog ?? platformCatalog).get(def.workload);
  const config = loadConfig(workload, opts.env ?? process.env);
  const log = opts.logger ?? createLogger(workload.name, config.string('LOG_LEVEL'));
  const deps = workload.dependencies;

  const databaseUrl = deps.postgres ? config.optionalString('DATABASE_URL') : undefined;
  const redisUrl = deps.redis ? config.optionalString('REDIS_URL') : undefined;
  const amqpUrl = deps.amqp ? config.optionalString('AMQP_URL') : undefined;

  const pgPool = databaseUrl ? createPgPool(databaseUrl, log, config.number('DATABASE_POOL_MAX')) : undefined;
  const redis = redisUrl
    ? createRedis(redisUrl, log, { keyPrefix: config.string('REDIS_KEY_PREFIX') })
    : undefined;
  const amqp = amqpUrl ? new AmqpClient(amqpUrl, log) : undefined;
  const denylistUrl =
    'AUTH_DENYLIST_URL' in workload.env ? config.optionalString('AUTH_DENYLIST_URL') : undefined;
  const denylist = denylistUrl
    ? connectDenylist(denylistUrl, config.string('AUTH_DENYLIST_PREFIX'), log)
    : undefined;
  const auth =
    'AUTH_JWKS_URL' in workload.env
      ? new TokenVerifier({
          jwks: opts.jwks ?? config.string('AUTH_JWKS_URL'),
          issuer: config.string('JWT_ISSUER'),
          audience: config.string('JWT_AUDIENCE'),
          ...(denylist ? { denylist } : {}),
        })
      : undefined;
  const shutdownHooks: (() => Promise<void> | void)[] = [];
  const inflight = new InflightTracker();
  const metrics = createMetrics(workload.name);
  const ctx: ServiceContext = {
    workload,
    config,
    log,
    pg: pgPool,
    redis,
    amqp,
    auth,
    metrics: metrics.registry,
    inflight,
    onShutdown: (fn) => void shutdownHooks.unshift(fn),
  };

  const closeClients = async () => {
    await Promise.allSettled([
      pgPool?.end(),
      redis?.quit().catch(() => redis.disconnect()),
      denylist?.close(),
      amqp?.close(),
    ]);
  };

  try {
    if (pgPool && def.migrationsDir && deps.postgres?.owner !== false) {
      await runMigrations(databaseUrl!, def.migrationsDir, log);
    }
    // A broker the workload can serve without (critical: false) is connected in the background.
    if (amqp && deps.amqp?.critical === false) amqp.connectInBackground();
    else if (amqp) await amqp.connect();
  } catch (err) {
    await closeClients();
    throw err;
  }

  const checks: Record<string, ReadyCheck> = {};
  if (pgPool) checks.postgres = () => pgPool.query('SELECT 1');
  if (redis) checks.redis = () => redis.ping();
  if (amqp)
    checks.rabbitmq =
      deps.amqp?.critical === false
        ? async () => (amqp.connected ? 'ok' : 'reconnecting')
        : async () => {
            if (!amqp.connected) throw new Error('not connected');
          };
  Object.assign(checks, def.checks?.(ctx) ?? {});

  let app: ServiceApp;
  try {
    app = await createServiceApp({
      workload,
      log,
      checks,
      metrics,
      ...(def.version ? { version: def.version } : {}),
      ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
      ...(def.docsUi === false ? { docsUi: false } : {}),
    });
  } catch (err) {
    await closeClients();
    throw err;
  }
  const timeoutMs = config.number('SHUTDOWN_TIMEOUT_MS');
  app.addHook('onClose', async () => {
    if (!(await inflight.drain(timeoutMs)))
      log.warn({ pending: inflight.size }, 'shutdown: in-flight work did not finish in time');
    for (const fn of shutdownHooks) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err }, 'shutdown hook failed');
      }
    }
    await closeClients();
  });
  try {
    if (auth) installAuth(app, auth);
    if (def.routes) {
      const prefix = workload.kind === 'http' && workload.route ? workload.route : '';
      await app.register(async (scoped) => def.routes!(scoped as ServiceApp, ctx), { prefix });
    }
    await app.ready();
    if (def.start) await def.start(ctx, app);
  } catch (err) {
    // A service that fails to start still releases its connections and hooks.
    await app.close().catch(() => undefined);
    throw err;
  }

  let closed: Promise<void> | undefined;
  return { app, ctx, close: () => (closed ??= app.close()) };
}

/**
 * main.ts of every service: validates config (one line naming each bad variable, exit 1), builds,
 * listens, and on SIGTERM/SIGINT stops accepting, drains in-flight work, closes clients, exits 0.
 */
export async function runService(def: ServiceDefinition, opts: BuildOptions = {}): Promise<BuiltService> {
  // Signals are handled from the first moment: a SIGTERM while the service is still starting
  // (migrations, consumers) waits for the start to finish, then drains and exits like any other.
  let svc: BuiltService | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!svc) {
      process.stderr.write(`${def.workload}: ${signal} while starting, will stop once started\n`);
      return;
    }
    const running = svc;
    running.ctx.log.info({ signal }, 'shutting down: draining in-flight work');
    const force = setTimeout(
      () => {
        running.ctx.log.error('shutdown took too long, exiting');
        process.exit(1);
      },
      running.ctx.config.number('SHUTDOWN_TIMEOUT_MS') + 2000,
    );
    force.unref();
    running.close().then(
      () => {
        running.ctx.log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        running.ctx.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  try {
    svc = await buildService(def, opts);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `failed to start: ${(err as Error).message}`;
    process.stderr.write(`${def.workload}: ${message}\n`);
    process.exit(1);
  }
  const { app, ctx } = svc;
  if (stopping) {
    stopping = false;
    stop('SIGTERM');
    return svc;
  }
  await app.listen({ port: ctx.config.number('PORT'), host: ctx.config.string('HOST') });
  return svc;
}
