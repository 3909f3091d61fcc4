import { join } from 'node:path';
import { catalog } from '@hybrid/catalog';
import { attachConsumers, consumeAccountDeletions, type Topology } from '@hybrid/queue/core';
import {
  ErrorResponse,
  HttpError,
  ValidationErrorResponse,
  withTransaction,
  type ServiceApp,
  type ServiceContext,
  type ServiceDefinition,
} from '@hybrid/service-kit';
import { Type } from '@hybrid/service-kit/schema';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';

const Profile = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  nickname: Type.String(),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  locale: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
});
const ProfilePatch = Type.Object(
  {
    nickname: Type.Optional(Type.String({ minLength: 1, maxLength: 40, pattern: '\\S' })),
    avatarUrl: Type.Optional(
      Type.Union([Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048 }), Type.Null()]),
    ),
    locale: Type.Optional(
      Type.String({ pattern: '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$', maxLength: 20 }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
const Theme = Type.Union([Type.Literal('system'), Type.Literal('light'), Type.Literal('dark')]);
const Settings = Type.Object({
  pushNotifications: Type.Boolean(),
  marketingEmails: Type.Boolean(),
  theme: Theme,
});
const SettingsPatch = Type.Object(
  {
    pushNotifications: Type.Optional(Type.Boolean()),
    marketingEmails: Type.Optional(Type.Boolean()),
    theme: Type.Optional(Theme),
  },
  { additionalProperties: false, minProperties: 1 },
);

interface ProfileRow {
  user_id: string;
  nickname: string;
  avatar_url: string | null;
  locale: string;
  updated_at: Date;
}
interface SettingsRow {
  push_notifications: boolean;
  marketing_emails: boolean;
  theme: 'system' | 'light' | 'dark';
}

const profileOut = (r: ProfileRow) => ({
  userId: r.user_id,
  nickname: r.nickname,
  avatarUrl: r.avatar_url,
  locale: r.locale,
  updatedAt: r.updated_at.toISOString(),
});
const settingsOut = (r: SettingsRow) => ({
  pushNotifications: r.push_notifications,
  marketingEmails: r.marketing_emails,
  theme: r.theme,
});

/**
 * Calls to the auth service on the user's behalf, with the user's own access token: `my` never
 * holds a credential of its own, and auth decides what the token may do.
 */
class AuthClient {
  constructor(
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {}
  async call(
    method: 'GET' | 'DELETE',
    path: string,
    token: string,
  ): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new HttpError(503, 'the auth service is unavailable');
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (res.status === 401) throw new HttpError(401, 'token revoked', { 'www-authenticate': 'Bearer' });
    if (res.status >= 500) throw new HttpError(503, 'the auth service is unavailable');
    return { status: res.status, body };
  }
}

function bearerToken(req: FastifyRequest): string {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m![1]!; // present: the route requires a verified token
}

/** Deletes a user's profile and settings (cascade). Idempotent. Returns whether there was one. */
export async function deleteProfile(db: pg.Pool, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM profiles WHERE user_id = $1', [userId]);
  return (rowCount ?? 0) > 0;
}

async function routes(app: ServiceApp, ctx: ServiceContext): Promise<void> {
  const pool = ctx.pg;
  if (!pool) throw new Error('my needs DATABASE_URL');
  attachConsumers(app, ctx);
  const authBase = ctx.config.string('AUTH_URL').replace(/\/$/, '') + (catalog.get('auth').route ?? '');
  const auth = new AuthClient(authBase, ctx.config.number('AUTH_TIMEOUT_MS'));

  /** The user's profile, created on first use with the nickname they registered with at auth. */
  async function ensureProfile(req: FastifyRequest): Promise<ProfileRow> {
    const userId = req.user!.id;
    const { rows } = await pool!.query<ProfileRow>('SELECT * FROM profiles WHERE user_id = $1', [userId]);
    if (rows[0]) return rows[0];
    const { status, body } = await auth.call('GET', '/me', bearerToken(req));
    const nickname = (body as { nickname?: unknown } | null)?.nickname;
    if (status !== 200 || typeof nickname !== 'string')
      throw new HttpError(503, 'the auth service is unavailable');
    await pool!.query(
      `WITH p AS (INSERT INTO profiles (user_id, nickname) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id)
       INSERT INTO settings (user_id) SELECT user_id FROM p`,
      [userId, nickname],
    );
    const again = await pool!.query<ProfileRow>('SELECT * FROM profiles WHERE user_id = $1', [userId]);
    return again.rows[0]!;
  }

  const withUser = { auth: 'required' as const };

  app.get(
    '/profile',
    { config: withUser, schema: { summary: 'Your profile', response: { 200: Profile, 503: ErrorResponse } } },
    async (req) => profileOut(await ensureProfile(req)),
  );

  app.patch(
    '/profile',
    {
      config: withUser,
      schema: {
        summary: 'Change nickname, avatar URL (https) or locale (BCP 47, e.g. ko-KR)',
        body: ProfilePatch,
        response: { 200: Profile, 422: ValidationErrorResponse },
      },
    },
    async (req) => {
      await ensureProfile(req);
      const b = req.body;
      const { rows } = await pool.query<ProfileRow>(
        `UPDATE profiles SET
           nickname = CASE WHEN $2 THEN $3 ELSE nickname END,
           avatar_url = CASE WHEN $4 THEN $5 ELSE avatar_url END,
           locale = CASE WHEN $6 THEN $7 ELSE locale END,
           updated_at = now()
         WHERE user_id = $1 RETURNING *`,
        [
          req.user!.id,
          b.nickname !== undefined,
          b.nickname?.trim() ?? null,
          b.avatarUrl !== undefined,
          b.avatarUrl ?? null,
          b.locale !== undefined,
          b.locale ?? null,
        ],
      );
      return profileOut(rows[0]!);
    },
  );

  app.get(
    '/settings',
    { config: withUser, schema: { summary: 'Your settings', response: { 200: Settings } } },
    async (req) => {
      await ensureProfile(req);
      const { rows } = await pool.query<SettingsRow>('SELECT * FROM settings WHERE user_id = $1', [
        req.user!.id,
      ]);
      return settingsOut(rows[0]!);
    },
  );

  app.patch(
    '/settings',
    {
      config: withUser,
      schema: {
        summary: 'Change settings',
        body: SettingsPatch,
        response: { 200: Settings, 422: ValidationErrorResponse },
      },
    },
    async (req) => {
      await ensureProfile(req);
      const b = req.body;
      const { rows } = await pool.query<SettingsRow>(
        `UPDATE settings SET
           push_notifications = COALESCE($2, push_notifications),
           marketing_emails = COALESCE($3, marketing_emails),
           theme = COALESCE($4, theme),
           updated_at = now()
         WHERE user_id = $1 RETURNING *`,
        [req.user!.id, b.pushNotifications ?? null, b.marketingEmails ?? null, b.theme ?? null],
      );
      return settingsOut(rows[0]!);
    },
  );

  app.delete(
    '/account',
    {
      config: withUser,
      schema: {
        summary: 'Delete your account: your data here, your account at auth, and every token you hold',
        description:
          "Deletes this service's rows in a transaction, asks auth (with your token) to delete the account and revoke every token, and commits only when auth did. Auth then announces the deletion (account.deleted), and the scan, character and chat services delete what they keep of you.",
        response: { 204: Type.Null(), 503: ErrorResponse },
      },
    },
    async (req, reply) => {
      const userId = req.user!.id;
      await withTransaction(pool, async (client) => {
        await client.query('DELETE FROM profiles WHERE user_id = $1', [userId]);
        const { status } = await auth.call('DELETE', '/me', bearerToken(req));
        if (status !== 204) throw new HttpError(503, 'the auth service did not delete the account');
      });
      req.log.info({ user: userId }, 'account deleted');
      return reply.code(204).send(null);
    },
  );
}

export interface MyServiceOptions {
  /** Exchanges and queues (the account events). @default the platform catalog's */
  readonly topology?: Topology;
}

export const createMyService = (opts: MyServiceOptions = {}): ServiceDefinition => ({
  workload: 'my',
  migrationsDir: join(__dirname, '..', 'migrations'),
  routes,
  // Accounts deleted at auth without going through DELETE /account here (auth's DELETE /me
  // called directly) lose their profile too; after our own DELETE /account this finds nothing.
  start: async (ctx) => {
    await consumeAccountDeletions(ctx, opts.topology ?? catalog, {
      queue: 'q.account.my',
      what: 'profile',
      forget: async (e) => ({ had: await deleteProfile(ctx.pg!, e.userId) }),
    });
  },
});

export const myService = createMyService();
