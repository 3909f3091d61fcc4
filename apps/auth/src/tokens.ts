import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYP, denylistTokens, HttpError } from '@hybrid/service-kit';
import type { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import type pg from 'pg';
import type { SigningKeys } from './keys';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTtlSec: number;
  readonly refreshTtlSec: number;
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
const REFRESH_PREFIX = 'rt_';
export const hashRefreshToken = (token: string): Buffer => createHash('sha256').update(token).digest();

const invalidRefresh = () =>
  new HttpError(401, 'invalid refresh token', { 'www-authenticate': 'Bearer error="invalid_token"' });

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Issues access tokens (EdDSA/ES256 JWS, `typ: at+jwt`, the format every service verifies) and
 * rotating refresh tokens grouped in families; revokes through the Redis denylist.
 */
export class TokenService {
  constructor(
    private readonly keys: SigningKeys,
    private readonly settings: TokenSettings,
    private readonly pg: pg.Pool,
    /** The service's own Redis client (its key prefix applied by ioredis). */
    private readonly redis: Redis,
  ) {}

  private async signAccess(userId: string): Promise<{ token: string; jti: string; exp: number }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.settings.accessTtlSec;
    const jti = randomUUID();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: this.keys.signer.alg, kid: this.keys.signer.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(userId)
      .setJti(jti)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.keys.signer.key);
    return { token, jti, exp };
  }

  /** Issues an access token and a refresh token; a new family unless `familyId` continues one. */
  async issuePair(
    userId: string,
    db: Queryable = this.pg,
    familyId: string = randomUUID(),
  ): Promise<TokenPair> {
    const access = await this.signAccess(userId);
    const refreshToken = REFRESH_PREFIX + randomBytes(32).toString('base64url');
    await db.query(
      `INSERT INTO refresh_tokens (family_id, user_id, token_hash, status, expires_at, access_jti, access_expires_at)
       VALUES ($1, $2, $3, 'active', now() + make_interval(secs => $4), $5, to_timestamp($6))`,
      [familyId, userId, hashRefreshToken(refreshToken), this.settings.refreshTtlSec, access.jti, access.exp],
    );
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.settings.accessTtlSec,
    };
  }

  /**
   * Rotates a refresh token: the presented one becomes `rotated` and a new pair of the same family
   * is returned. Presenting a token that was already rotated or revoked is reuse: the whole family
   * is revoked (its newest refresh token stops working and its live access tokens are denylisted).
   */
  async rotate(refreshToken: string): Promise<TokenPair> {
    if (!refreshToken.startsWith(REFRESH_PREFIX)) throw invalidRefresh();
    const client = await this.pg.connect();
    let reuseFamily: string | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        id: string;
        family_id: string;
        user_id: string;
        status: string;
        expired: boolean;
      }>(
        `SELECT id, family_id, user_id, status, expires_at <= now() AS expired
           FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hashRefreshToken(refreshToken)],
      );
      const row = rows[0];
      if (!row) {
        await client.query('ROLLBACK');
        throw invalidRefresh();
      }
      if (row.status !== 'active') {
        await client.query('COMMIT');
        reuseFamily = row.status === 'rotated' ? row.family_id : undefined;
      } else if (row.expired) {
        await client.query(`UPDATE refresh_tokens SET status = 'revoked' WHERE id = $1`, [row.id]);
        await client.query('COMMIT');
        throw invalidRefresh();
      } else {
        await client.query(`UPDATE refresh_tokens SET status = 'rotated' WHERE id = $1`, [row.id]);
        const pair = await this.issuePair(row.user_id, client, row.family_id);
        await client.query('COMMIT');
        return pair;
      }
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (reuseFamily) await this.revokeWhere('family_id = $1', [reuseFamily]);
    throw invalidRefresh();
  }

  /** Puts one access token's `jti` on the denylist until its expiry. */
  async denylist(jti: string, exp: number): Promise<void> {
    await denylistTokens(this.redis, [{ jti, exp }]);
  }

  /**
   * Revokes the refresh tokens matching `where` and denylists the access tokens issued with them
   * that have not expired yet.
   */
  private async revokeWhere(where: string, params: unknown[], db: Queryable = this.pg): Promise<number> {
    const { rows } = await db.query<{ access_jti: string; exp: number }>(
      `UPDATE refresh_tokens SET status = 'revoked' WHERE ${where}
       RETURNING access_jti, extract(epoch FROM access_expires_at)::float8 AS exp`,
      params,
    );
    await denylistTokens(
      this.redis,
      rows.map((r) => ({ jti: r.access_jti, exp: r.exp })),
    );
    return rows.length;
  }

  /** Logout: denylists the access token and revokes the refresh family it was issued with. */
  async logout(jti: string, exp: number): Promise<void> {
    await this.denylist(jti, exp);
    await this.revokeWhere(
      `family_id IN (SELECT family_id FROM refresh_tokens WHERE access_jti = $1) AND status <> 'revoked'`,
      [jti],
    );
  }

  /** Revokes every refresh token of a user and denylists every live access token issued to them. */
  async revokeUser(userId: string, db: Queryable = this.pg): Promise<void> {
    await this.revokeWhere(`user_id = $1 AND access_expires_at > now()`, [userId], db);
    await db.query(`UPDATE refresh_tokens SET status = 'revoked' WHERE user_id = $1`, [userId]);
  }
}
