/**
 * `pnpm --filter @hybrid/location import-points <file.csv|file.geojson>`: applies the migrations, then
 * upserts the file's points by id in one transaction (idempotent). DATABASE_URL names the database.
 * A relative path is resolved against the directory the command was started from.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createLogger, createPgPool, runMigrations } from '@hybrid/service-kit';
import { ImportError, importPoints, parsePointsFile } from './points';

async function main(): Promise<number> {
  const [file, ...extra] = process.argv.slice(2);
  if (!file || extra.length) {
    process.stderr.write('usage: import <points.csv|points.geojson>   (DATABASE_URL selects the database)\n');
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('import: DATABASE_URL is not set\n');
    return 2;
  }
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    process.stderr.write(`import: cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  let points;
  try {
    points = parsePointsFile(path, text);
  } catch (err) {
    if (err instanceof ImportError) {
      process.stderr.write(`import: ${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger('location-import', process.env.LOG_LEVEL ?? 'warn');
  await runMigrations(databaseUrl, join(__dirname, '..', 'migrations'), log);
  const pool = createPgPool(databaseUrl, log, 2);
  try {
    const r = await importPoints(pool, points);
    process.stdout.write(
      `import: ${points.length} points from ${file}: ${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged\n`,
    );
    return 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`import: failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
