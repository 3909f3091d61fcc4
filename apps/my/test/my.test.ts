import {
  createTestDatabase,
  eventually,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import { myService } from '../src/app';
// The real auth service, on a real port: my verifies its tokens through its JWKS URL and shares its denylist.
import { freshIp, startAuth, STRONG_PASSWORD, type AuthFixture } from '../../auth/test/helpers';

describe('my service with a real auth service', () => {
  let auth: AuthFixture;
  let authUrl: string;
  let db: TestDatabase;
  let my: BuiltService;

  const myEnv = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    REDIS_URL: testUrls.redis,
    REDIS_KEY_PREFIX: `${uniqueName('my')}:`,
    AUTH_URL: authUrl,
    AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
    AUTH_DENYLIST_URL: testUrls.redis,
    AUTH_DENYLIST_PREFIX: auth.prefix,
    // The account events of this auth instance.
    AMQP_URL: testUrls.amqp,
    QUEUE_PREFIX: auth.queuePrefix,
    ...overrides,
  });

  beforeAll(async () => {
    auth = await startAuth('my_auth');
    authUrl = await auth.svc.app.listen({ port: 0, host: '127.0.0.1' });
    db = await createTestDatabase('my');
    my = await buildService(myService, { env: myEnv() });
  });
  afterAll(async () => {
    await my?.close();
    await db?.drop();
    await auth?.close();
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const call = (method: 'GET' | 'PATCH' | 'DELETE', path: string, token?: string, payload?: unknown) =>
    my.app.inject({
      method,
      url: `/api/v1/my${path}`,
      headers: token ? bearer(token) : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  async function user(nickname = 'Sorter') {
    const email = `${uniqueName('m')}@example.com`;
    const reg = await auth.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: STRONG_PASSWORD, nickname },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(reg.statusCode).toBe(201);
    const login = () =>
      auth.svc.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password: STRONG_PASSWORD },
        headers: { 'x-forwarded-for': freshIp() },
      });
    const pair = (await login()).json() as { accessToken: string; refreshToken: string };
    return { email, id: reg.json().user.id as string, login, ...pair };
  }

  it('creates the profile on first use from the nickname registered at auth', async () => {
    const u = await user('Paper Saver');
    const r = await call('GET', '/profile', u.accessToken);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      userId: u.id,
      nickname: 'Paper Saver',
      avatarUrl: null,
      locale: 'ko-KR',
    });
    const s = await call('GET', '/settings', u.accessToken);
    expect(s.json()).toEqual({ pushNotifications: true, marketingEmails: false, theme: 'system' });
    for (const [method, path] of [
      ['GET', '/profile'],
      ['PATCH', '/profile'],
      ['GET', '/settings'],
      ['PATCH', '/settings'],
      ['DELETE', '/account'],
    ] as const)
      expect([method, path, (await call(method, path, undefined, { theme: 'dark' })).statusCode]).toEqual([
        method,
        path,
        401,
      ]);
  });

  it('updates the profile and settings, and answers 422 in the FastAPI shape for bad input', async () => {
    const u = await user();
    const r = await call('PATCH', '/profile', u.accessToken, {
      nickname: 'Can Crusher',
      avatarUrl: 'https://cdn.example.com/a.png',
      locale: 'en-US',
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      nickname: 'Can Crusher',
      avatarUrl: 'https://cdn.example.com/a.png',
      locale: 'en-US',
    });
    const cleared = await call('PATCH', '/profile', u.accessToken, { avatarUrl: null });
    expect(cleared.json()).toMatchObject({ nickname: 'Can Crusher', avatarUrl: null, locale: 'en-US' });

    for (const [body, loc] of [
      [{ avatarUrl: 'http://insecure.example.com/a.png' }, 'body.avatarUrl'],
      [{ locale: 'korean' }, 'body.locale'],
      [{ nickname: '   ' }, 'body.nickname'],
      [{ role: 'admin' }, 'body.role'],
      [{}, 'body'],
    ] as const) {
      const bad = await call('PATCH', '/profile', u.accessToken, body);
      expect([JSON.stringify(body), bad.statusCode]).toEqual([JSON.stringify(body), 422]);
      const locs = (bad.json().detail as { loc: string[] }[]).map((d) => d.loc.join('.'));
      expect(locs).toContain(loc);
    }
    expect((await call('GET', '/profile', u.accessToken)).json()).toMatchObject({ nickname: 'Can Crusher' });

    const s = await call('PATCH', '/settings', u.accessToken, { theme: 'dark', marketingEmails: true });
    expect(s.statusCode).toBe(200);
    expect(s.json()).toEqual({ pushNotifications: true, marketingEmails: true, theme: 'dark' });
    const badTheme = await call('PATCH', '/settings', u.accessToken, { theme: 'neon' });
    expect(badTheme.statusCode).toBe(422);
    expect(badTheme.json().detail[0].loc).toEqual(['body', 'theme']);
    expect((await call('GET', '/settings', u.accessToken)).json().theme).toBe('dark');
  });

  it('sees a logout at auth at once: the token is refused here too', async () => {
    const u = await user();
    expect((await call('GET', '/profile', u.accessToken)).statusCode).toBe(200);
    const out = await fetch(`${authUrl}/api/v1/auth/logout`, {
      method: 'POST',
      headers: bearer(u.accessToken),
    });
    expect(out.status).toBe(204);
    const r = await call('GET', '/profile', u.accessToken);
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({ detail: 'token revoked' });
  });

  it('refuses tampered, none, HS256, expired and refresh tokens with 401', async () => {
    const u = await user();
    const claims = decodeJwt(u.accessToken);
    const [h, p, s] = u.accessToken.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...claims, sub: '00000000-0000-0000-0000-000000000001' }),
    ).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
    const hs = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k-current' })
      .sign(new TextEncoder().encode('k-current'));
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k-current' })
      .setIssuer('waste-coach-auth')
      .setAudience('waste-coach')
      .setSubject(u.id)
      .setJti(uniqueName('jti'))
      .setIssuedAt(Math.floor(Date.now() / 1000) - 1000)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 100)
      .sign(await importJWK(auth.keys[0]!, 'EdDSA'));
    for (const [what, t] of [
      ['tampered', `${h}.${forged}.${s}`],
      ['none', none],
      ['HS256', hs],
      ['expired', expired],
      ['refresh token', u.refreshToken],
    ]) {
      expect([what, (await call('GET', '/profile', t)).statusCode]).toEqual([what, 401]);
    }
    expect((await call('GET', '/profile', u.accessToken)).statusCode).toBe(200);
  });

  it('deletes the account: its data here, the account at auth, and every token', async () => {
    const u = await user();
    const other = (await u.login()).json() as { accessToken: string; refreshToken: string };
    await call('PATCH', '/settings', u.accessToken, { theme: 'light' });
    const r = await call('DELETE', '/account', u.accessToken);
    expect(r.statusCode).toBe(204);
    const rows = await my.ctx.pg!.query(
      'SELECT (SELECT count(*) FROM profiles WHERE user_id = $1)::int + (SELECT count(*) FROM settings WHERE user_id = $1)::int AS n',
      [u.id],
    );
    expect(rows.rows[0].n).toBe(0);
    // Every session is gone, here and at auth.
    expect((await call('GET', '/profile', other.accessToken)).statusCode).toBe(401);
    expect((await call('GET', '/profile', u.accessToken)).statusCode).toBe(401);
    const refresh = await fetch(`${authUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: other.refreshToken }),
    });
    expect(refresh.status).toBe(401);
    expect((await u.login()).statusCode).toBe(401);
  });

  it('deletes the profile too when the account is deleted at auth directly (the account.deleted event)', async () => {
    const u = await user();
    const keep = await user();
    await call('PATCH', '/settings', u.accessToken, { theme: 'dark' });
    await call('GET', '/profile', keep.accessToken);
    const r = await fetch(`${authUrl}/api/v1/auth/me`, { method: 'DELETE', headers: bearer(u.accessToken) });
    expect(r.status).toBe(204);
    const count = async (id: string) =>
      (
        await my.ctx.pg!.query<{ n: number }>(
          'SELECT (SELECT count(*) FROM profiles WHERE user_id = $1)::int + (SELECT count(*) FROM settings WHERE user_id = $1)::int AS n',
          [id],
        )
      ).rows[0]!.n;
    await eventually(async () => (await count(u.id)) === 0, 10000, 'the profile to be deleted');
    expect(await count(keep.id)).toBe(2);
  });

  it('keeps the data when auth cannot delete the account, and says so when it cannot seed a profile', async () => {
    const u = await user();
    await call('PATCH', '/profile', u.accessToken, { locale: 'en-GB' });
    const cut = await buildService(myService, { env: myEnv({ AUTH_URL: 'http://127.0.0.1:9' }) });
    try {
      const fresh = await user();
      const seed = await cut.app.inject({ url: '/api/v1/my/profile', headers: bearer(fresh.accessToken) });
      expect(seed.statusCode).toBe(503);
      expect(seed.json()).toEqual({ detail: 'the auth service is unavailable' });
      const r = await cut.app.inject({
        method: 'DELETE',
        url: '/api/v1/my/account',
        headers: bearer(u.accessToken),
      });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ detail: 'the auth service is unavailable' });
    } finally {
      await cut.close();
    }
    expect((await call('GET', '/profile', u.accessToken)).json()).toMatchObject({ locale: 'en-GB' });
    expect((await u.login()).statusCode).toBe(200);
  });

  it('documents its routes at /docs and /openapi.json', async () => {
    const docs = await my.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    const spec = (await my.app.inject({ url: '/openapi.json' })).json();
    for (const p of ['/profile', '/settings', '/account'])
      expect(Object.keys(spec.paths)).toContain(`/api/v1/my${p}`);
    expect(spec.paths['/api/v1/my/account'].delete.security).toEqual([{ bearerAuth: [] }]);
  });
});
