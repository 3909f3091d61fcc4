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
});
