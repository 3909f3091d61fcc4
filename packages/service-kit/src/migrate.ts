import type { Logger } from './logger';

/**
 * Applies a service's pending migrations (SQL or JS files in `dir`, node-pg-migrate format).
 * node-pg-migrate takes an advisory lock, so replicas starting together migrate once.
 */
export async function runMigrations(databaseUrl: string, dir: string, log: Logger): Promise<string[]> {
  // Loaded only when there is a database to migrate.
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    singleTransaction: true,
    checkOrder: true,
    log: (msg: string) => log.debug({ migration: msg }, 'migrate'),
    logger: {
      debug: () => undefined,
      info: (m: string) => log.debug(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length) log.info({ migrations: names }, 'applied migrations');
  return names;
}
