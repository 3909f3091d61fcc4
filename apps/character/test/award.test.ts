import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, runMigrations } from '@hybrid/service-kit';
import { createTestDatabase, type TestDatabase } from '@hybrid/tools/test-env';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { awardScan, levelOf } from '../src/app';

describe('character progression', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('character');
    await runMigrations(db.url, join(__dirname, '..', 'migrations'), createLogger('test', 'silent'));
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  const event = (userId: string, category: string | null, scanId = randomUUID()) => ({
    scanId,
    userId,
    category,
    material: null,
    completedAt: new Date().toISOString(),
  });
  const totals = async (userId: string) =>
    (await pool.query('SELECT xp, scans FROM characters WHERE user_id = $1', [userId])).rows[0];

  it('awards a scan exactly once, even when the same event arrives concurrently', async () => {
    const e = event('u1', 'plastic');
    const results = await Promise.all(Array.from({ length: 6 }, () => awardScan(pool, e)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await awardScan(pool, e)).toBe(false);
    expect(await totals('u1')).toEqual({ xp: 30, scans: 1 });
  });

  it('gives the new-category bonus once per category, levels up and earns badges', async () => {
    // plastic (30), plastic (15), unclassified (10), then 4 new categories (30 each) = 175
    await awardScan(pool, event('u2', 'plastic'));
    await awardScan(pool, event('u2', 'plastic'));
    await awardScan(pool, event('u2', null));
    for (const c of ['glass', 'battery', 'paper', 'metal']) await awardScan(pool, event('u2', c));
    expect(await totals('u2')).toEqual({ xp: 175, scans: 7 });
    const badges = (await pool.query('SELECT badge FROM badges WHERE user_id = $1 ORDER BY badge', ['u2']))
      .rows;
    expect(badges.map((b) => b.badge)).toEqual(['explorer', 'first-scan']);
    expect(levelOf(175)).toEqual({ level: 2, levelXp: 100, nextLevelXp: 200 });
    expect(levelOf(0)).toEqual({ level: 1, levelXp: 0, nextLevelXp: 100 });
  });

  it('counts a category once when scans of it are awarded concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => awardScan(pool, event('u3', i < 4 ? 'glass' : 'paper'))),
    );
    expect(results.every(Boolean)).toBe(true);
    // 2 first-of-category scans (30 each), 6 others (15 each)
    expect(await totals('u3')).toEqual({ xp: 150, scans: 8 });
    const c = await pool.query(
      `SELECT (SELECT categories FROM characters WHERE user_id = $1) AS categories,
              (SELECT count(*)::int FROM xp_awards WHERE user_id = $1 AND xp = 30) AS firsts`,
      ['u3'],
    );
    expect(c.rows[0]).toEqual({ categories: 2, firsts: 2 });
  });

  it('earns the scan-count badges at their thresholds', async () => {
    for (let i = 0; i < 9; i++) await awardScan(pool, event('u4', null));
    const badges = async () =>
      (await pool.query('SELECT badge FROM badges WHERE user_id = $1 ORDER BY badge', ['u4'])).rows.map(
        (b) => b.badge,
      );
    expect(await badges()).toEqual(['first-scan']);
    await awardScan(pool, event('u4', null));
    expect(await badges()).toEqual(['first-scan', 'ten-scans']);
  });

  it('carries the categories of awards made before the award function existed', async () => {
    const old = await createTestDatabase('character-upgrade');
    const dir = mkdtempSync(join(tmpdir(), 'character-migrations-'));
    try {
      const all = join(__dirname, '..', 'migrations');
      for (const f of readdirSync(all).filter((f) => f < '1795400000000')) cpSync(join(all, f), join(dir, f));
      const log = createLogger('test', 'silent');
      await runMigrations(old.url, dir, log);
      const c = new pg.Client({ connectionString: old.url });
      await c.connect();
      try {
        await c.query(`INSERT INTO characters (user_id, xp, scans) VALUES ('old', 75, 3)`);
        await c.query(
          `INSERT INTO xp_awards (scan_id, user_id, xp, category, completed_at) VALUES
             (gen_random_uuid(), 'old', 30, 'glass', now()), (gen_random_uuid(), 'old', 15, 'glass', now()),
             (gen_random_uuid(), 'old', 30, 'paper', now())`,
        );
        await runMigrations(old.url, all, log);
        const after = new pg.Pool({ connectionString: old.url, max: 1 });
        try {
          // glass again: no new-category bonus; metal: the third category
          await awardScan(after, event('old', 'glass'));
          await awardScan(after, event('old', 'metal'));
          const { rows } = await after.query(
            `SELECT xp, scans, categories FROM characters WHERE user_id = 'old'`,
          );
          expect(rows[0]).toEqual({ xp: 75 + 15 + 30, scans: 5, categories: 3 });
        } finally {
          await after.end();
        }
      } finally {
        await c.end();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await old.drop();
    }
  });
});
