import { createHash } from 'node:crypto';
import { uniqueName } from '@hybrid/tools/test-env';
import { buildService } from '@hybrid/service-kit';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { authService } from '../src/app';
import { freshIp, privateJwk, startAuth, STRONG_PASSWORD, type AuthFixture } from './helpers';

describe('auth service', () => {
  let f: AuthFixture;
  beforeAll(async () => {
    f = await startAuth('auth');
  });
  afterAll(async () => {
    await f?.close();
  });

  const api = (path: string) => `/api/v1/auth${path}`;
  const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
    f.svc.app.inject({ method: 'POST', url: api(path), payload: payload as object, headers });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const me = (token?: string) => f.svc.app.inject({ url: api('/me'), headers: token ? bearer(token) : {} });
  const newEmail = () => `${uniqueName('u')}@example.com`;
  const register = (email: string, password = STRONG_PASSWORD, nickname = 'Recycler') =>
    post('/register', { email, password, nickname }, { 'x-forwarded-for': freshIp() });
  const login = (email: string, password = STRONG_PASSWORD, ip = freshIp()) =>
    post('/login', { email, password }, { 'x-forwarded-for': ip });
  async function account() {
    const email = newEmail();
    expect((await register(email)).statusCode).toBe(201);
    const r = await login(email);
    expect(r.statusCode).toBe(200);
    return { email, ...(r.json() as { accessToken: string; refreshToken: string }) };
  }

  describe('register', () => {
    it('creates an account and stores an argon2id hash at or above the OWASP minimum', async () => {
      const email = newEmail();
      const r = await register(email.toUpperCase(), STRONG_PASSWORD, '  Green Kim ');
      expect(r.statusCode).toBe(201);
      const { user } = r.json();
      expect(user).toMatchObject({ email, nickname: 'Green Kim', emailVerified: false, providers: [] });
      expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
      const { rows } = await f.svc.ctx.pg!.query('SELECT password_hash FROM users WHERE id = $1', [user.id]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(rows[0].password_hash).not.toContain(STRONG_PASSWORD);
    });

    it('answers a second registration of a taken email like a new one, and changes nothing', async () => {
      const email = newEmail();
      const first = await register(email);
      expect(first.statusCode).toBe(201);
      const again = await register(email.toUpperCase(), `${STRONG_PASSWORD} two`, 'Someone Else');
      // Same status and shape as a real registration: nobody learns that the address is taken.
      expect(again.statusCode).toBe(201);
      const fake = again.json().user;
      expect(Object.keys(fake).sort()).toEqual(Object.keys(first.json().user).sort());
      expect(fake).toMatchObject({ email, nickname: 'Someone Else', emailVerified: false, providers: [] });
      expect(fake.id).not.toBe(first.json().user.id);
      // Nothing stored: one account, the first password still works, the second does not.
      const { rows } = await f.svc.ctx.pg!.query('SELECT id, nickname FROM users WHERE email = $1', [email]);
      expect(rows).toEqual([{ id: first.json().user.id, nickname: 'Recycler' }]);
      expect((await login(email)).statusCode).toBe(200);
      expect((await login(email, `${STRONG_PASSWORD} two`)).statusCode).toBe(401);
    });

    it('answers 422 in the FastAPI shape for bad input and weak passwords, and stores nothing', async () => {
      const bad = await post('/register', { email: 'not-an-email', password: '', extra: true });
      expect(bad.statusCode).toBe(422);
      const locs = (bad.json().detail as { loc: string[] }[]).map((d) => d.loc.join('.'));
      expect(locs).toEqual(
        expect.arrayContaining(['body.email', 'body.password', 'body.nickname', 'body.extra']),
      );
      for (const d of bad.json().detail) expect(Object.keys(d).sort()).toEqual(['loc', 'msg', 'type']);

      const email = newEmail();
      for (const [password, msg] of [
        ['short1', 'at least 10'],
        ['1234567890', 'too common'],
        ['aaaaaaaaaaaa', 'repeat one character'],
        [`${email.split('@')[0]}-secret`, 'email address'],
      ] as const) {
        const r = await register(email, password);
        expect(r.statusCode).toBe(422);
        expect(r.json().detail[0].loc).toEqual(['body', 'password']);
        expect(
          r
            .json()
            .detail.map((d: { msg: string }) => d.msg)
            .join(' '),
        ).toContain(msg);
      }
      const { rowCount } = await f.svc.ctx.pg!.query('SELECT 1 FROM users WHERE email = $1', [email]);
      expect(rowCount).toBe(0);
      const json = await f.svc.app.inject({
        method: 'POST',
        url: api('/register'),
        payload: '{"email":',
        headers: { 'content-type': 'application/json' },
      });
      expect(json.statusCode).toBe(422);
      expect(json.json().detail[0].type).toBe('json_invalid');
    });
  });

  describe('login and access tokens', () => {
    it('issues an access token in the format every service verifies', async () => {
      const a = await account();
      const header = decodeProtectedHeader(a.accessToken);
      expect(header).toEqual({ alg: 'EdDSA', kid: 'k-current', typ: 'at+jwt' });
      const claims = decodeJwt(a.accessToken);
      expect(claims).toMatchObject({ iss: 'waste-coach-auth', aud: 'waste-coach' });
      expect(typeof claims.jti).toBe('string');
      expect(claims.exp! - claims.iat!).toBe(900);
      expect(a.refreshToken).toMatch(/^rt_/);
      const r = await me(a.accessToken);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ id: claims.sub, email: a.email, nickname: 'Recycler' });
    });

    it('answers concurrent /me requests of different users each with their own account', async () => {
      // Concurrent reads share one query per event-loop turn; each request must get its own row.
      const users = await Promise.all([account(), account(), account()]);
      const calls = users.flatMap((u) => [u, u]).map((u) => me(u.accessToken));
      const answers = await Promise.all(calls);
      expect(answers.map((r) => [r.statusCode, (r.json() as { email: string }).email])).toEqual(
        users.flatMap((u) => [
          [200, u.email],
          [200, u.email],
        ]),
      );
    });

    it('gives the same answer for a wrong password and an unknown email', async () => {
      const a = await account();
      const wrong = await login(a.email, 'not the password at all');
      const unknown = await login(newEmail(), STRONG_PASSWORD);
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ detail: 'invalid email or password' });
      expect(unknown.json()).toEqual(wrong.json());
      const missing = await post('/login', { email: a.email });
      expect(missing.statusCode).toBe(422);
      expect(missing.json().detail).toEqual([
        { loc: ['body', 'password'], msg: 'Field required', type: 'missing' },
      ]);
    });

    it('rejects a missing, tampered, none, HS256, expired, foreign or refresh token with 401', async () => {
      const a = await account();
      const [h, p, s] = a.accessToken.split('.') as [string, string, string];
      const claims = decodeJwt(a.accessToken);
      const forged = Buffer.from(
        JSON.stringify({ ...claims, sub: '00000000-0000-0000-0000-000000000000' }),
      ).toString('base64url');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
      const publicJwk = (await f.svc.app.inject({ url: '/.well-known/jwks.json' })).json().keys[0];
      const hs256 = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k-current' })
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
      const signer = await importJWK(f.keys[0]!, 'EdDSA');
      const sign = (typ: string, exp: number, key = signer, kid = 'k-current') =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'EdDSA', typ, kid })
          .setIssuer('waste-coach-auth')
          .setAudience('waste-coach')
          .setSubject(String(claims.sub))
          .setJti(uniqueName('jti'))
          .setIssuedAt()
          .setExpirationTime(exp)
          .sign(key);
      const now = Math.floor(Date.now() / 1000);
      const stranger = await importJWK(await privateJwk('EdDSA', 'k-current'), 'EdDSA');
      const cases: [string, string | undefined][] = [
        ['missing', undefined],
        ['tampered', `${h}.${forged}.${s}`],
        ['alg none', none],
        ['HS256 with the public key as secret', hs256],
        ['expired', await sign('at+jwt', now - 5)],
        ['refresh typ', await sign('refresh+jwt', now + 300)],
        ['unknown key', await sign('at+jwt', now + 300, stranger)],
        ['opaque refresh token as access token', a.refreshToken],
      ];
      for (const [what, t] of cases) expect([what, (await me(t)).statusCode]).toEqual([what, 401]);
      expect((await me(await sign('at+jwt', now - 5))).json()).toEqual({ detail: 'token expired' });
      // The well-formed token signed by our key is accepted: the failures above are not an artefact.
      expect((await me(await sign('at+jwt', now + 300))).statusCode).toBe(200);
      // A valid token for a user that does not exist (any more) is refused too.
      const ghost = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k-current' })
        .setIssuer('waste-coach-auth')
        .setAudience('waste-coach')
        .setSubject('00000000-0000-4000-8000-000000000000')
        .setJti(uniqueName('jti'))
        .setExpirationTime(now + 300)
        .sign(signer);
      expect((await me(ghost)).json()).toEqual({ detail: 'user no longer exists' });
      for (const [method, path] of [
        ['POST', '/logout'],
        ['DELETE', '/me'],
      ] as const)
        expect((await f.svc.app.inject({ method, url: api(path) })).statusCode).toBe(401);
    });
  });

  describe('key rotation', () => {
    it('publishes every key at the route prefix and the service root; a token of the older key still verifies', async () => {
      const root = await f.svc.app.inject({ url: '/.well-known/jwks.json' });
      const prefixed = await f.svc.app.inject({ url: api('/.well-known/jwks.json') });
      expect(root.statusCode).toBe(200);
      expect(prefixed.json()).toEqual(root.json());
      const keys = root.json().keys as Record<string, string>[];
      expect(keys.map((k) => [k.kid, k.alg, k.use])).toEqual([
        ['k-current', 'EdDSA', 'sig'],
        ['k-previous', 'ES256', 'sig'],
      ]);
      for (const k of keys) expect(k).not.toHaveProperty('d');

      const a = await account();
      const sub = String(decodeJwt(a.accessToken).sub);
      const old = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k-previous' })
        .setIssuer('waste-coach-auth')
        .setAudience('waste-coach')
        .setSubject(sub)
        .setJti(uniqueName('jti'))
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importJWK(f.keys[1]!, 'ES256'));
      expect((await me(old)).statusCode).toBe(200);
    });

    it('refuses to start with unusable signing keys, naming the variable', async () => {
      const base = { ...f.env };
      for (const keys of [
        'nope',
        '[]',
        JSON.stringify([{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }]),
        JSON.stringify([{ ...(await privateJwk('EdDSA', 'a')), d: undefined }]),
        JSON.stringify([await privateJwk('EdDSA', 'a'), await privateJwk('EdDSA', 'a')]),
      ]) {
        await expect(buildService(authService, { env: { ...base, JWT_SIGNING_KEYS: keys } })).rejects.toThrow(
          /JWT_SIGNING_KEYS/,
        );
      }
      await expect(
        buildService(authService, { env: { ...base, OAUTH_PROVIDERS: '[{"name":"x"}]' } }),
      ).rejects.toThrow(/OAUTH_PROVIDERS .*clientId/);
    });
  });

  describe('refresh rotation', () => {
    it('rotates: a new pair, the old refresh token stops working, only hashes are stored', async () => {
      const a = await account();
      const r = await post('/refresh', { refreshToken: a.refreshToken });
      expect(r.statusCode).toBe(200);
      const next = r.json();
      expect(next.refreshToken).not.toBe(a.refreshToken);
      expect(next.tokenType).toBe('Bearer');
      expect((await me(next.accessToken)).statusCode).toBe(200);
      const digest = createHash('sha256').update(a.refreshToken).digest();
      const { rows } = await f.svc.ctx.pg!.query(
        "SELECT status FROM refresh_tokens WHERE token_hash = $1 AND encode(token_hash, 'escape') NOT LIKE 'rt_%'",
        [digest],
      );
      expect(rows).toEqual([{ status: 'rotated' }]);
      const plain = await f.svc.ctx.pg!.query(
        "SELECT 1 FROM refresh_tokens WHERE position(convert_to($1, 'UTF8') in token_hash) > 0",
        [a.refreshToken],
      );
      expect(plain.rowCount).toBe(0);
    });

    it('treats reuse of a rotated token as theft and revokes the whole family', async () => {
      const a = await account();
      const second = (await post('/refresh', { refreshToken: a.refreshToken })).json();
      const third = (await post('/refresh', { refreshToken: second.refreshToken })).json();
      expect((await me(third.accessToken)).statusCode).toBe(200);
      // The first token comes back (stolen copy): refused, and the family dies with it.
      const reuse = await post('/refresh', { refreshToken: a.refreshToken });
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json()).toEqual({ detail: 'invalid refresh token' });
      expect((await post('/refresh', { refreshToken: third.refreshToken })).statusCode).toBe(401);
      const revoked = await me(third.accessToken);
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json()).toEqual({ detail: 'token revoked' });
      // Another session of the same user is untouched.
      const other = (await login(a.email)).json();
      expect((await me(other.accessToken)).statusCode).toBe(200);
      expect((await post('/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(200);
    });

    it('lets only one of two concurrent refreshes of the same token win, and treats the other as reuse', async () => {
      const a = await account();
      const [x, y] = await Promise.all([
        post('/refresh', { refreshToken: a.refreshToken }),
        post('/refresh', { refreshToken: a.refreshToken }),
      ]);
      expect([x.statusCode, y.statusCode].sort()).toEqual([200, 401]);
      const winner = (x.statusCode === 200 ? x : y).json();
      expect((await post('/refresh', { refreshToken: winner.refreshToken })).statusCode).toBe(401);
      const { rows } = await f.svc.ctx.pg!.query(
        `SELECT DISTINCT status FROM refresh_tokens WHERE family_id =
           (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
        [createHash('sha256').update(a.refreshToken).digest()],
      );
      expect(rows).toEqual([{ status: 'revoked' }]);
    });

    it('rejects unknown and malformed refresh tokens, and access tokens used as refresh tokens', async () => {
      const a = await account();
      for (const t of ['rt_unknown', a.accessToken, 'x']) {
        const r = await post('/refresh', { refreshToken: t });
        expect([t, r.statusCode]).toEqual([t, 401]);
      }
      expect((await post('/refresh', {})).statusCode).toBe(422);
    });
  });

  describe('logout', () => {
    it('denylists the access token until it expires and ends its refresh family', async () => {
      const a = await account();
      const { jti, exp } = decodeJwt(a.accessToken);
      const r = await f.svc.app.inject({
        method: 'POST',
        url: api('/logout'),
        headers: bearer(a.accessToken),
      });
      expect(r.statusCode).toBe(204);
      const ttl = await f.redis.ttl(`${f.prefix}denylist:${jti}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(exp! - Math.floor(Date.now() / 1000) + 1);
      expect((await me(a.accessToken)).json()).toEqual({ detail: 'token revoked' });
      expect((await post('/refresh', { refreshToken: a.refreshToken })).statusCode).toBe(401);
      const again = await f.svc.app.inject({
        method: 'POST',
        url: api('/logout'),
        headers: bearer(a.accessToken),
      });
      expect(again.statusCode).toBe(401);
      expect((await f.svc.app.inject({ method: 'POST', url: api('/logout') })).statusCode).toBe(401);
    });
  });

  describe('account deletion', () => {
    it('deletes the account and revokes every token of every session', async () => {
      const a = await account();
      const other = (await login(a.email)).json();
      const r = await f.svc.app.inject({ method: 'DELETE', url: api('/me'), headers: bearer(a.accessToken) });
      expect(r.statusCode).toBe(204);
      expect((await me(a.accessToken)).statusCode).toBe(401);
      expect((await me(other.accessToken)).json()).toEqual({ detail: 'token revoked' });
      expect((await post('/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(401);
      expect((await login(a.email)).statusCode).toBe(401);
      const { rowCount } = await f.svc.ctx.pg!.query('SELECT 1 FROM users WHERE email = $1', [a.email]);
      expect(rowCount).toBe(0);
    });
  });

  describe('rate limits', () => {
    it('blocks an account after repeated failures, with the same answer for an unknown email', async () => {
      const a = await account();
      for (const email of [a.email, newEmail()]) {
        for (let i = 0; i < 3; i++) expect((await login(email, 'wrong password!')).statusCode).toBe(401);
        const blocked = await login(email, STRONG_PASSWORD);
        expect(blocked.statusCode).toBe(429);
        expect(blocked.json()).toEqual({ detail: 'too many login attempts, try again later' });
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      }
      // Other accounts are not affected.
      const b = await account();
      expect((await me(b.accessToken)).statusCode).toBe(200);
    });

    it('checks no more passwords than the limit when the attempts arrive at once', async () => {
      const a = await account();
      const ip = freshIp();
      const burst = await Promise.all(
        Array.from({ length: 10 }, () => login(a.email, 'wrong password!', ip)),
      );
      const codes = burst.map((r) => r.statusCode).sort();
      expect(codes).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
      expect((await login(a.email, STRONG_PASSWORD, freshIp())).statusCode).toBe(429);
    });

    it('limits attempts per client address (taken from X-Forwarded-For behind the ALB)', async () => {
      const ip = freshIp();
      for (let i = 0; i < 20; i++)
        expect((await login(newEmail(), 'wrong password!', ip)).statusCode).toBe(401);
      const a = await account();
      expect((await login(a.email, STRONG_PASSWORD, ip)).statusCode).toBe(429);
      // A spoofed left-most entry does not help: the entry the ALB appended counts.
      const spoofed = await post(
        '/login',
        { email: a.email, password: STRONG_PASSWORD },
        {
          'x-forwarded-for': `1.2.3.4, ${ip}`,
        },
      );
      expect(spoofed.statusCode).toBe(429);
      expect((await login(a.email, STRONG_PASSWORD, freshIp())).statusCode).toBe(200);
    });
  });

  it('limits registrations per client address', async () => {
    const limited = await startAuth('auth_reg', { REGISTER_MAX_PER_IP: '2' });
    try {
      const reg = (ip: string) =>
        limited.svc.app.inject({
          method: 'POST',
          url: api('/register'),
          payload: { email: newEmail(), password: STRONG_PASSWORD, nickname: 'R' },
          headers: { 'x-forwarded-for': ip },
        });
      const ip = freshIp();
      expect((await reg(ip)).statusCode).toBe(201);
      expect((await reg(ip)).statusCode).toBe(201);
      const third = await reg(ip);
      expect(third.statusCode).toBe(429);
      expect(third.json()).toEqual({ detail: 'too many registrations, try again later' });
      expect((await reg(freshIp())).statusCode).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('documents its routes at /docs and /openapi.json', async () => {
    const docs = await f.svc.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    const spec = (await f.svc.app.inject({ url: '/openapi.json' })).json();
    for (const p of ['/register', '/login', '/refresh', '/logout', '/me', '/oauth/{provider}/authorize'])
      expect(Object.keys(spec.paths)).toContain(api(p));
    expect(spec.paths[api('/me')].get.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.paths['/.well-known/jwks.json']).toBeDefined();
  });
});
