import { createServer, type Server } from 'node:http';
import { uniqueName } from '@hybrid/tools/test-env';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { REDACT_PATHS } from '@hybrid/service-kit';
import pino from 'pino';
import { loadProviders } from '../src/oauth';
import { freshIp, startAuth, STRONG_PASSWORD, type AuthFixture } from './helpers';

/**
 * OAuth login end to end against a real OpenID Provider (oidc-provider) on a loopback port: our
 * service discovers it, redirects with PKCE, exchanges the code, verifies the ID token and reads
 * userinfo. The browser is played by fetch with a cookie jar, submitting the provider's own forms.
 */
describe('OAuth / OIDC login', () => {
  let op: Server;
  let issuer: string;
  let f: AuthFixture;
  const CALLBACK_BASE = 'http://auth.test';
  const logLines: string[] = [];
  const accounts: Record<string, { email: string; email_verified: boolean; name: string }> = {};

  beforeAll(async () => {
    op = createServer();
    await new Promise<void>((r) => op.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(op.address() as { port: number }).port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    // The provider's start-up notices (development interactions, default TTLs) are expected here.
    const quiet = [
      jest.spyOn(console, 'warn').mockImplementation(() => undefined),
      jest.spyOn(console, 'info').mockImplementation(() => undefined),
    ];
    const provider = new Provider(issuer, {
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'op-1', alg: 'RS256', use: 'sig' }] },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      clients: [
        {
          client_id: 'waste-coach',
          client_secret: 'op-client-secret-for-tests',
          redirect_uris: [`${CALLBACK_BASE}/api/v1/auth/oauth/local/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      cookies: { keys: ['op-cookie-key-for-tests'] },
      pkce: { required: () => true },
      findAccount: (_ctx: unknown, id: string) =>
        accounts[id] ? { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) } : undefined,
    });
    op.on('request', provider.callback());
    for (const q of quiet) q.mockRestore();
    f = await startAuth(
      'oauth',
      {
        OAUTH_CALLBACK_BASE_URL: CALLBACK_BASE,
        OAUTH_PROVIDERS: JSON.stringify([
          {
            name: 'local',
            issuer,
            clientId: 'waste-coach',
            clientSecret: 'op-client-secret-for-tests',
            tokenAuthMethod: 'client_secret_basic',
          },
        ]),
      },
      {
        // The kit's redaction, writing into memory so the test can read what would be logged.
        logger: pino(
          { level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
          { write: (line: string) => void logLines.push(line) },
        ),
      },
    );
  });
  afterAll(async () => {
    await f?.close();
    op?.closeAllConnections();
    await new Promise((r) => op?.close(r));
  });

  /** A browser: follows the provider's redirects with its cookies, logs in as `accountId`, consents. */
  async function browserLogin(
    authorizeUrl: string,
    accountId: string,
    opts: { abort?: boolean } = {},
  ): Promise<URL> {
    const jar = new Map<string, string>();
    const send = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string>),
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        jar.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      return res;
    };
    let url = authorizeUrl;
    for (let hops = 0; hops < 12; hops++) {
      if (url.startsWith(CALLBACK_BASE)) return new URL(url);
      let res = await send(url);
      if (res.status === 200) {
        const html = await res.text();
        const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
        if (!action) throw new Error(`no form on ${url}`);
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1] ?? 'consent';
        if (opts.abort) {
          const abortUrl = /href="([^"]*\/abort)"/.exec(html)?.[1];
          res = await send(new URL(abortUrl!, issuer).toString());
        } else {
          const form = new URLSearchParams({ prompt });
          if (prompt === 'login') {
            form.set('login', accountId);
            form.set('password', 'anything');
          }
          res = await send(new URL(action.replace(/&amp;/g, '&'), issuer).toString(), {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
          });
        }
      }
      const loc = res.headers.get('location');
      if (!loc) throw new Error(`provider answered ${res.status} without a redirect at ${url}`);
      url = new URL(loc, url).toString();
    }
    throw new Error('too many redirects');
  }

  const start = async () => {
    const r = await f.svc.app.inject({ url: '/api/v1/auth/oauth/local/authorize' });
    expect(r.statusCode).toBe(302);
    return String(r.headers.location);
  };
  const callback = (u: URL) => f.svc.app.inject({ url: `${u.pathname}${u.search}` });
  const me = (token: string) =>
    f.svc.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });

  it('redirects to the provider with state, nonce and an S256 PKCE challenge', async () => {
    const loc = new URL(await start());
    expect(`${loc.origin}`).toBe(issuer);
    const q = Object.fromEntries(loc.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: 'waste-coach',
      redirect_uri: `${CALLBACK_BASE}/api/v1/auth/oauth/local/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(q.state!.length).toBeGreaterThanOrEqual(43);
    expect(q.nonce!.length).toBeGreaterThanOrEqual(43);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const list = await f.svc.app.inject({ url: '/api/v1/auth/oauth/providers' });
    expect(list.json()).toEqual({ providers: ['local'] });
    const unknown = await f.svc.app.inject({ url: '/api/v1/auth/oauth/github/authorize' });
    expect(unknown.statusCode).toBe(404);
  });

  it('creates an account for a new person and logs the same person in again', async () => {
    const id = uniqueName('alice');
    accounts[id] = { email: `${id}@mail.test`, email_verified: true, name: 'Alice Green' };
    const cb = await browserLogin(await start(), id);
    expect(cb.searchParams.get('code')).toBeTruthy();
    const r = await callback(cb);
    expect(r.statusCode).toBe(200);
    const pair = r.json();
    expect(pair.tokenType).toBe('Bearer');
    const profile = (await me(pair.accessToken)).json();
    expect(profile).toMatchObject({
      email: `${id}@mail.test`,
      emailVerified: true,
      nickname: 'Alice Green',
      providers: ['local'],
    });
    // The code is single-use: replaying the callback fails (its state is gone too).
    expect((await callback(cb)).statusCode).toBe(400);
    const again = await callback(await browserLogin(await start(), id));
    expect(decodeJwt(again.json().accessToken).sub).toBe(profile.id);
    // Nothing secret in the logs: not the code, the state, nor any token.
    const logs = logLines.join('');
    expect(logs).toContain('/oauth/local/callback?[redacted]');
    for (const secret of [
      cb.searchParams.get('code')!,
      cb.searchParams.get('state')!,
      pair.accessToken,
      pair.refreshToken,
    ])
      expect(logs).not.toContain(secret);
  });

  it('links to an existing account by verified email, distrusting a password nobody proved', async () => {
    const id = uniqueName('bob');
    const email = `${id}@mail.test`;
    const reg = await f.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: STRONG_PASSWORD, nickname: 'Bob' },
      headers: { 'x-forwarded-for': freshIp() },
    });
    const userId = reg.json().user.id;
    const login = () =>
      f.svc.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password: STRONG_PASSWORD },
        headers: { 'x-forwarded-for': freshIp() },
      });
    const before = (await login()).json();
    accounts[id] = { email: email.toUpperCase(), email_verified: true, name: 'Robert' };
    const r = await callback(await browserLogin(await start(), id));
    expect(r.statusCode).toBe(200);
    expect(decodeJwt(r.json().accessToken).sub).toBe(userId);
    expect((await me(r.json().accessToken)).json()).toMatchObject({
      id: userId,
      emailVerified: true,
      nickname: 'Bob',
    });
    // Whoever set that password before the owner proved the address loses it and its sessions.
    expect((await me(before.accessToken)).statusCode).toBe(401);
    expect((await login()).statusCode).toBe(401);
  });

  it('does not link on an unverified email', async () => {
    const id = uniqueName('carol');
    const email = `${id}@mail.test`;
    await f.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: STRONG_PASSWORD, nickname: 'Carol' },
      headers: { 'x-forwarded-for': freshIp() },
    });
    accounts[id] = { email, email_verified: false, name: 'Mallory' };
    const r = await callback(await browserLogin(await start(), id));
    expect(r.statusCode).toBe(200);
    const profile = (await me(r.json().accessToken)).json();
    expect(profile).toMatchObject({
      email: null,
      emailVerified: false,
      nickname: 'Mallory',
      providers: ['local'],
    });
    const login = await f.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: STRONG_PASSWORD },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(decodeJwt(login.json().accessToken).sub).not.toBe(profile.id);
  });

  it('fails cleanly on a bad state, a refused login and a wrong PKCE verifier', async () => {
    const id = uniqueName('dave');
    accounts[id] = { email: `${id}@mail.test`, email_verified: true, name: 'Dave' };
    const noState = await f.svc.app.inject({
      url: '/api/v1/auth/oauth/local/callback?code=abc&state=forged',
    });
    expect(noState.statusCode).toBe(400);
    expect(noState.json()).toEqual({ detail: 'unknown or expired login state' });

    const refused = await callback(await browserLogin(await start(), id, { abort: true }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toContain('access_denied');

    // Someone who intercepts the code without the verifier cannot redeem it.
    const cb = await browserLogin(await start(), id);
    const key = `${f.prefix}oauth:state:${cb.searchParams.get('state')}`;
    const saved = JSON.parse((await f.redis.get(key))!);
    await f.redis.set(key, JSON.stringify({ ...saved, verifier: 'x'.repeat(64) }), 'EX', 60);
    const stolen = await callback(cb);
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json()).toEqual({ detail: 'the login provider rejected the authorization code' });
  });

  it('has presets for Kakao, Naver and Google, and rejects bad provider configuration', async () => {
    const providers = loadProviders(
      JSON.stringify([
        { name: 'kakao', preset: 'kakao', clientId: 'k' },
        { name: 'naver', preset: 'naver', clientId: 'n', clientSecret: 's', trustEmail: true },
        { name: 'google', preset: 'google', clientId: 'g', clientSecret: 's' },
      ]),
    );
    const expected = {
      kakao: 'https://kauth.kakao.com/oauth/authorize',
      naver: 'https://nid.naver.com/oauth2.0/authorize',
      google: 'https://accounts.google.com/o/oauth2/v2/auth',
    };
    for (const [name, endpoint] of Object.entries(expected)) {
      const url = new URL(
        await providers.get(name)!.authorizationUrl({
          redirectUri: 'https://x/cb',
          state: 's',
          nonce: 'n',
          verifier: 'v'.repeat(43),
        }),
      );
      expect(`${url.origin}${url.pathname}`).toBe(endpoint);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    }
    for (const bad of [
      '{',
      '{}',
      '[{"name":"Bad Name","clientId":"x","issuer":"https://a"}]',
      '[{"name":"x","clientId":"y"}]',
      '[{"name":"x","clientId":"y","preset":"github"}]',
    ]) {
      expect(() => loadProviders(bad)).toThrow(/OAUTH_PROVIDERS/);
    }
  });
});
