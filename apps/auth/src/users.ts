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

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

export async function findUserByEmail(db: Queryable, email: string, lock = false): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT * FROM users WHERE email = $1${lock ? ' FOR UPDATE' : ''}`, [
    email,
  ]);
  return rows[0];
}

export async function toUserOut(db: Queryable, u: UserRow): Promise<UserOut> {
  const { rows } = await db.query<{ provider: string }>(
    'SELECT provider FROM identities WHERE user_id = $1 ORDER BY provider',
    [u.id],
  );
  return {
    id: u.id,
    email: u.email,
    emailVerified: u.email_verified,
    nickname: u.nickname,
    createdAt: u.created_at.toISOString(),
    providers: rows.map((r) => r.provider),
  };
}
