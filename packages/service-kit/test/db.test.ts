import { createTestDatabase, type TestDatabase } from '@hybrid/tools/test-env';
import pg from 'pg';
import { withTransaction } from '../src';

describe('withTransaction', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase('kit-tx');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await pool.query('CREATE TABLE t (v int NOT NULL)');
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE t');
  });

  const values = async () =>
    (await pool.query<{ v: number }>('SELECT v FROM t ORDER BY v')).rows.map((r) => r.v);

  it('commits when the callback resolves and returns its value', async () => {
    const out = await withTransaction(pool, async (c) => {
      await c.query('INSERT INTO t (v) VALUES (1), (2)');
      // Not yet visible outside the transaction.
      expect((await pool.query('SELECT 1 FROM t')).rowCount).toBe(0);
      return 'done';
    });
    expect(out).toBe('done');
    expect(await values()).toEqual([1, 2]);
  });

  it('rolls back and rethrows when the callback throws', async () => {
    const boom = new Error('boom');
    await expect(
      withTransaction(pool, async (c) => {
        await c.query('INSERT INTO t (v) VALUES (3)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await values()).toEqual([]);
  });

  it('rolls back when a statement fails', async () => {
    await expect(
      withTransaction(pool, async (c) => {
        await c.query('INSERT INTO t (v) VALUES (4)');
        await c.query('INSERT INTO t (v) VALUES (NULL)');
      }),
    ).rejects.toThrow(/null value/);
    expect(await values()).toEqual([]);
  });

  it('releases the client on success and on failure', async () => {
    await withTransaction(pool, async () => undefined);
    await withTransaction(pool, async () => {
      throw new Error('x');
    }).catch(() => undefined);
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // The released client is clean: no transaction left open on it.
    const c = await pool.connect();
    try {
      const { rows } = await c.query<{ s: string }>('SELECT (now() = statement_timestamp())::text AS s');
      expect(rows[0]!.s).toBe('true');
    } finally {
      c.release();
    }
  });
});
