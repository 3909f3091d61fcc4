import type pg from 'pg';

/**
 * Runs `fn` inside one PostgreSQL transaction on a client of `pool`: BEGIN, then COMMIT when `fn`
 * resolves (its value is returned) or ROLLBACK when it throws (the error is rethrown). The client
 * goes back to the pool either way.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
