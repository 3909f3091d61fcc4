import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { catalog } from '@hybrid/catalog';
import {
  ErrorResponse,
  HttpError,
  connectDenylist,
  installAuth,
  TickBatcher,
  TokenVerifier,
  ValidationErrorResponse,
  withTransaction,
  type ServiceApp,
  type ServiceContext,
  type ServiceDefinition,
} from '@hybrid/service-kit';
import { Type, type Static } from '@hybrid/service-kit/schema';
import type { FastifyRequest } from 'fastify';
import { loadSigningKeys, type SigningKeys } from './keys';
import { loadProviders, randomToken, type ExternalProfile, type OAuthProvider } from './oauth';
import { AccountEventRelay, recordAccountDeleted } from './outbox';
import { checkPassword, PasswordHasher } from './passwords';
import { RateLimiter } from './ratelimit';
import { Jwks, LoginBody, ProviderName, RefreshBody, RegisterBody, TokenPair, User } from './schemas';
import { TokenService } from './tokens';
import { findUserByEmail, findUsersOut, normalizeEmail, userOut, type UserRow } from './users';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Also (only) served at the service root, outside the route prefix. */
    serviceRoot?: boolean;
  }
}

const OAUTH_STATE_TTL_SEC = 600;
const unauthorized = (detail: string) => new HttpError(401, detail, { 'www-authenticate': 'Bearer' });
const tooMany = (retryAfter: number, what: string) =>
  new HttpError(429, `too many ${what}, try again later`, { 'retry-after': String(retryAfter) });

/** The client's address: the socket's, or the one the trusted proxies (the ALB) put in X-Forwarded-For. */
function clientIp(req: FastifyRequest, hops: number): string {
  if (hops === 0) return req.ip;
  const xff = req.headers['x-forwarded-for'];
  const list = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list[list.length - hops] ?? req.ip;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** The outbox relay of each built service (started once the app is ready, stopped at shutdown). */
const relays = new WeakMap<ServiceContext, AccountEventRelay>();

async function routes(app: ServiceApp, ctx: ServiceContext): Promise<void> {
  const { config } = ctx;
  const pool = ctx.pg;
  const redis = ctx.redis;
  if (!pool || !redis) throw new Error('auth needs DATABASE_URL and REDIS_URL');
  let keys: SigningKeys;
  let providers: Map<string, OAuthProvider>;
  try {
    keys = await loadSigningKeys(config.string('JWT_SIGNING_KEYS'));
    providers = loadProviders(config.optionalString('OAUTH_PROVIDERS') ?? '[]');
  } catch (err) {
    // The kit does not close its clients when routes fail to register; do it so the process can exit.
    await Promise.allSettled([pool.end(), redis.quit()]);
    throw err;
  }
  const tokens = new TokenService(
    keys,
    {
      issuer: config.string('JWT_ISSUER'),
      audience: config.string('JWT_AUDIENCE'),
      accessTtlSec: config.number('ACCESS_TOKEN_TTL_SEC'),
      refreshTtlSec: config.number('REFRESH_TOKEN_TTL_SEC'),
    },
    pool,
    redis,
  );
  // GET /me reads the user in one statement per event-loop turn, shared by concurrent requests.
  // Subjects are uuids issued here; anything else cannot be a user and must not fail the batch.
  const userLoader = new TickBatcher((ids: string[]) =>
    findUsersOut(
      pool,
      ids.filter((id) => UUID.test(id)),
    ),
  );
  const hasher = new PasswordHasher({
    memoryCost: config.number('ARGON2_MEMORY_KIB'),
    timeCost: config.number('ARGON2_TIME_COST'),
    parallelism: config.number('ARGON2_PARALLELISM'),
  });
  const amqp = ctx.amqp;
  if (!amqp) throw new Error('auth needs AMQP_URL');
  const relay = new AccountEventRelay({
    pool,
    amqp,
    topology: catalog,
    prefix: config.string('QUEUE_PREFIX'),
    log: ctx.log,
    pollMs: config.number('OUTBOX_POLL_MS'),
    metrics: ctx.metrics,
  });
  relays.set(ctx, relay);
  ctx.onShutdown(() => relay.stop());
  const limiter = new RateLimiter(redis, config.number('LOGIN_WINDOW_SEC'));
  const hops = config.number('TRUSTED_PROXY_HOPS');
  const maxPerAccount = config.number('LOGIN_MAX_FAILURES_PER_ACCOUNT');
  const maxPerIp = config.number('LOGIN_MAX_ATTEMPTS_PER_IP');
  const maxRegisterPerIp = config.number('REGISTER_MAX_PER_IP');
  const callbackBase = config.string('OAUTH_CALLBACK_BASE_URL').replace(/\/$/, '');
  const prefix = ctx.workload.route ?? '';
  const callbackUrl = (provider: string) => `${callbackBase}${prefix}/oauth/${provider}/callback`;

  // Our own access tokens are checked exactly as every other service checks them: the kit's
  // verifier, with our public keys in memory and a local copy of our own denylist.
  const denylist = connectDenylist(config.string('REDIS_URL'), config.string('REDIS_KEY_PREFIX'), ctx.log);
  ctx.onShutdown(() => denylist.close());
  installAuth(
    app,
    new TokenVerifier({
      jwks: keys.keySet,
      issuer: config.string('JWT_ISSUER'),
      audience: config.string('JWT_AUDIENCE'),
      denylist,
    }),
  );
  // Routes flagged `serviceRoot` are mounted at the root instead of under the prefix.
  app.addHook('onRoute', (route) => {
    if (route.config?.serviceRoot && route.routePath) {
      route.url = route.routePath;
      route.path = route.routePath;
    }
  });

  const jwksRoute = {
    schema: { summary: 'Public keys that verify access tokens', response: { 200: Jwks } },
  };
  app.get('/.well-known/jwks.json', jwksRoute, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return keys.jwks as Static<typeof Jwks>;
  });
  app.get('/.well-known/jwks.json', { ...jwksRoute, config: { serviceRoot: true } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return keys.jwks as Static<typeof Jwks>;
  });

  app.post(
    '/register',
    {
      schema: {
        summary: 'Create an account with email and password',
        body: RegisterBody,
        response: {
          201: Type.Object({ user: User }),
          422: ValidationErrorResponse,
          429: ErrorResponse,
        },
      },
    },
    async (req, reply) => {
      const email = normalizeEmail(req.body.email);
      const nickname = req.body.nickname.trim();
      checkPassword(req.body.password, { email, nickname });
      const ip = await limiter.hit(`rl:register:ip:${clientIp(req, hops)}`);
      if (ip.count > maxRegisterPerIp) throw tooMany(ip.resetSec, 'registrations');
      const passwordHash = await hasher.hash(req.body.password);
      try {
        const { rows } = await pool.query<UserRow>(
          `INSERT INTO users (email, password_hash, nickname) VALUES ($1, $2, $3) RETURNING *`,
          [email, passwordHash, nickname],
        );
        // A new account has no linked providers yet: no second query, so both answers take as long.
        return reply.code(201).send({ user: userOut(rows[0]!, []) });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // The address is taken. Answering 409 would tell anyone which addresses have accounts, so
        // the answer looks like a new account's (same shape, same cost: the hash above) and
        // nothing is stored; the existing account is untouched and its password still applies.
        req.log.info('registration for an address that already has an account; answered as if new');
        return reply.code(201).send({
          user: {
            id: randomUUID(),
            email,
            emailVerified: false,
            nickname,
            createdAt: new Date().toISOString(),
            providers: [],
          },
        });
      }
    },
  );

  app.post(
    '/login',
    {
      schema: {
        summary: 'Log in with email and password',
        body: LoginBody,
        response: { 200: TokenPair, 401: ErrorResponse, 422: ValidationErrorResponse, 429: ErrorResponse },
      },
    },
    async (req) => {
      const email = normalizeEmail(req.body.email);
      const ip = await limiter.hit(`rl:login:ip:${clientIp(req, hops)}`);
      if (ip.count > maxPerIp) throw tooMany(ip.resetSec, 'login attempts');
      // Per account, by email, whether or not an account has it: the answer is the same either way.
      // The attempt is counted before the password is checked, in one atomic increment, so
      // attempts sent at once cannot all read the same old count and all get checked.
      const accountKey = `rl:login:acct:${email}`;
      const acct = await limiter.hit(accountKey);
      if (acct.count > maxPerAccount) throw tooMany(acct.resetSec, 'login attempts');
      const user = await findUserByEmail(pool, email);
      const ok = await hasher.verify(user?.password_hash, req.body.password);
      if (!user || !ok) throw unauthorized('invalid email or password');
      await limiter.reset(accountKey);
      return tokens.issuePair(user.id);
    },
  );

  app.post(
    '/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for a new pair (the old one stops working)',
        body: RefreshBody,
        response: { 200: TokenPair, 401: ErrorResponse, 422: ValidationErrorResponse },
      },
    },
    async (req) => tokens.rotate(req.body.refreshToken),
  );

  app.post(
    '/logout',
    {
      config: { auth: 'required' },
      schema: {
        summary: 'Revoke this access token and its refresh token family',
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const u = req.user!;
      await tokens.logout(u.jti, Number(u.claims.exp));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    { config: { auth: 'required' }, schema: { summary: 'The logged-in user', response: { 200: User } } },
    async (req) => {
      const user = await userLoader.get(req.user!.id);
      if (!user) throw unauthorized('user no longer exists');
      return user;
    },
  );

  app.delete(
    '/me',
    {
      config: { auth: 'required' },
      schema: {
        summary: 'Delete the account and revoke every token it holds',
        description:
          "Called by the my service as part of account deletion. The same transaction records an `account.deleted` event in the outbox; it reaches every service that keeps the user's data (my, scan, character, chat) through RabbitMQ, even if the broker is down at the time.",
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const u = req.user!;
      await tokens.denylist(u.jti, Number(u.claims.exp));
      const deleted = await withTransaction(pool, async (c) => {
        await c.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [u.id]);
        await tokens.revokeUser(u.id, c);
        const { rowCount } = await c.query('DELETE FROM users WHERE id = $1', [u.id]);
        // Announced once, by the request that deleted the row.
        if (rowCount) await recordAccountDeleted(c, u.id);
        return rowCount !== null && rowCount > 0;
      });
      if (deleted) {
        relay.kick();
        req.log.info({ user: u.id }, 'account deleted');
      }
      return reply.code(204).send(null);
    },
  );

  // --- OAuth 2.0 / OpenID Connect login (authorization code + PKCE) ---

  app.get(
    '/oauth/providers',
    {
      schema: {
        summary: 'Configured login providers',
        response: { 200: Type.Object({ providers: Type.Array(Type.String()) }) },
      },
    },
    async () => ({ providers: [...providers.keys()] }),
  );

  const provider = (name: string) => {
    const p = providers.get(name);
    if (!p) throw new HttpError(404, `login provider "${name}" is not configured`);
    return p;
  };

  app.get(
    '/oauth/:provider/authorize',
    {
      schema: {
        summary: 'Start a login with a provider: redirects to its authorization page',
        params: ProviderName,
        response: { 302: Type.Null(), 404: ErrorResponse, 502: ErrorResponse },
      },
    },
    async (req, reply) => {
      const p = provider(req.params.provider);
      const state = randomToken();
      const nonce = randomToken();
      const verifier = randomToken(48);
      const url = await p.authorizationUrl({ redirectUri: callbackUrl(p.name), state, nonce, verifier });
      await redis.set(
        `oauth:state:${state}`,
        JSON.stringify({ provider: p.name, nonce, verifier }),
        'EX',
        OAUTH_STATE_TTL_SEC,
      );
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/oauth/:provider/callback',
    {
      // The code and state in the query string never reach a log line.
      logSerializers: {
        req: (r: FastifyRequest) => ({ method: r.method, url: r.url.replace(/\?.*$/, '?[redacted]') }),
      },
      schema: {
        summary: "The provider's redirect back: exchanges the code and logs the user in",
        params: ProviderName,
        querystring: Type.Object({
          code: Type.Optional(Type.String({ maxLength: 2048 })),
          state: Type.Optional(Type.String({ maxLength: 256 })),
          error: Type.Optional(Type.String({ maxLength: 256 })),
        }),
        response: { 200: TokenPair, 400: ErrorResponse, 404: ErrorResponse, 502: ErrorResponse },
      },
    },
    async (req) => {
      const p = provider(req.params.provider);
      const { code, state, error } = req.query;
      const saved = state ? await redis.getdel(`oauth:state:${state}`) : null;
      if (!saved) throw new HttpError(400, 'unknown or expired login state');
      const s = JSON.parse(saved) as { provider: string; nonce: string; verifier: string };
      if (s.provider !== p.name) throw new HttpError(400, 'unknown or expired login state');
      if (error) throw new HttpError(400, `the login provider reported: ${error}`);
      if (!code) throw new HttpError(400, 'the login provider sent no authorization code');
      const profile = await p.complete({
        code,
        redirectUri: callbackUrl(p.name),
        verifier: s.verifier,
        nonce: s.nonce,
      });
      const userId = await linkAccount(p.name, profile).catch((err: unknown) =>
        isUniqueViolation(err) ? linkAccount(p.name, profile) : Promise.reject(err),
      );
      return tokens.issuePair(userId);
    },
  );

  /** Finds or creates the user for a provider identity; links to an existing account by verified email. */
  async function linkAccount(providerName: string, profile: ExternalProfile): Promise<string> {
    let revoke: string | undefined;
    const id = await withTransaction(pool!, async (c) => {
      const { rows } = await c.query<{ user_id: string }>(
        'SELECT user_id FROM identities WHERE provider = $1 AND subject = $2',
        [providerName, profile.subject],
      );
      if (rows[0]) return rows[0].user_id;
      const nickname = (profile.name?.trim() || profile.email?.split('@')[0] || `${providerName} user`).slice(
        0,
        40,
      );
      const email = profile.emailVerified ? profile.email : undefined;
      let userId: string;
      const existing = email ? await findUserByEmail(c, email, true) : undefined;
      if (existing) {
        userId = existing.id;
        if (!existing.email_verified && existing.password_hash) {
          // Someone registered this address with a password and never proved they own it: now that
          // its owner proved it, that password (and every session made with it) is not trusted.
          await c.query('UPDATE users SET email_verified = true, password_hash = NULL WHERE id = $1', [
            userId,
          ]);
          revoke = userId;
        } else {
          await c.query('UPDATE users SET email_verified = true WHERE id = $1', [userId]);
        }
      } else {
        const { rows: created } = await c.query<{ id: string }>(
          'INSERT INTO users (email, email_verified, nickname) VALUES ($1, $2, $3) RETURNING id',
          [email ?? null, email !== undefined, nickname],
        );
        userId = created[0]!.id;
      }
      await c.query('INSERT INTO identities (provider, subject, user_id, email) VALUES ($1, $2, $3, $4)', [
        providerName,
        profile.subject,
        userId,
        profile.email ?? null,
      ]);
      if (revoke) await tokens.revokeUser(revoke, c);
      return userId;
    });
    return id;
  }
}

export const authService: ServiceDefinition = {
  workload: 'auth',
  migrationsDir: join(__dirname, '..', 'migrations'),
  routes,
  start: async (ctx) => {
    await relays.get(ctx)?.start();
  },
};
