import type pg from 'pg';

export interface UserRow {
  id: string;
  email: string | null;
  email_verified: boolean;
  password_hash: string | null;
  nickname: string;
  created_at: Date;
}

export interface UserOut {
  id: string;
  email: string | null;
  emailVerified: boolean;
  nickname: string;
  createdAt: string;
  providers: string[];
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserByEmail(
  db: Queryable,
  email: string,
  lock = false,
): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `SELECT * FROM users WHERE email = $1${lock ? ' FOR UPDATE' : ''}`,
    [email],
  );
  return rows[0];
}

/**
 * Users with their linked providers, in one round trip for any number of ids (the hot path of
 * GET /me, batched across concurrent requests). Ids that match no user are absent from the map.
 */
export async function findUsersOut(db: Queryable, ids: readonly string[]): Promise<Map<string, UserOut>> {
  const { rows } = await db.query<UserRow & { providers: string[] }>({
    // Named: prepared once per connection, so PostgreSQL does not parse and plan it on every call.
    name: 'auth-find-users-out',
    text: `SELECT u.*, coalesce(array_agg(i.provider ORDER BY i.provider) FILTER (WHERE i.provider IS NOT NULL), '{}') AS providers
       FROM users u LEFT JOIN identities i ON i.user_id = u.id
      WHERE u.id = ANY($1::uuid[]) GROUP BY u.id`,
    values: [ids],
  });
  return new Map(rows.map((u) => [u.id, userOut(u, u.providers)]));
}

export const userOut = (u: UserRow, providers: string[]): UserOut => ({
  id: u.id,
  email: u.email,
  emailVerified: u.email_verified,
  nickname: u.nickname,
  createdAt: u.created_at.toISOString(),
  providers,
});
