import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createLogger, runMigrations } from '@hybrid/service-kit';
import { createTestDatabase, type TestDatabase } from '@hybrid/tools/test-env';
import pg from 'pg';
import { awardScan, deleteCharacter } from '../src/app';

describe('character of a deleted account', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('character_acct');
    await runMigrations(db.url, join(__dirname, '..', 'migrations'), createLogger('test', 'silent'));
    pool = new pg.Pool({ connectionString: db.url, max: 12 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  const event = (userId: string, category: string | null = 'glass') => ({
    scanId: randomUUID(),
    userId,
    category,
    material: null,
    completedAt: new Date().toISOString(),
  });
  const left = async (userId: string) => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM characters WHERE user_id = $1)
            + (SELECT count(*) FROM xp_awards WHERE user_id = $1)
            + (SELECT count(*) FROM badges WHERE user_id = $1) AS n`,
      [userId],
    );
    return Number(rows[0]!.n);
  };

  it('deletes XP, awards and badges, once, and leaves other users alone', async () => {
    const gone = randomUUID();
    const stays = randomUUID();
    for (const c of ['glass', 'paper', 'metal', 'battery', 'plastic']) await awardScan(pool, event(gone, c));
    await awardScan(pool, event(stays));
    expect(await left(gone)).toBe(1 + 5 + 2);
    expect(await deleteCharacter(pool, gone)).toBe(true);
    expect(await left(gone)).toBe(0);
    // Again (a redelivered event): nothing to do, no error.
    expect(await deleteCharacter(pool, gone)).toBe(false);
    expect(await left(gone)).toBe(0);
    expect(await left(stays)).toBe(3);
  });

  it('does not bring the character back for a scan completed after the deletion', async () => {
    const u = randomUUID();
    await awardScan(pool, event(u));
    await deleteCharacter(pool, u);
    expect(await awardScan(pool, event(u))).toBe(false);
    expect(await left(u)).toBe(0);
  });

  it('ends with nothing when awards and the deletion race', async () => {
    for (let round = 0; round < 8; round++) {
      const u = randomUUID();
      const results = await Promise.allSettled([
        ...Array.from({ length: 4 }, (_, i) => awardScan(pool, event(u, i % 2 ? 'glass' : null))),
        deleteCharacter(pool, u),
        ...Array.from({ length: 4 }, () => awardScan(pool, event(u))),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect([round, await left(u)]).toEqual([round, 0]);
    }
  });
});
