import { createServer, type Server } from 'node:http';
import { eventually, testUrls, uniqueName } from '@hybrid/tools/test-env';
import { Redis } from 'ioredis';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  buildService,
  createLogger,
  denylistKey,
  DenylistMirror,
  denylistTokens,
  TokenVerifier,
  type BuiltService,
} from '../src';
import { demoCatalog, secureService } from './fixtures/demo';

describe('access-token checks for services that need a user', () => {
  let jwksServer: Server;
  let svc: BuiltService;
  let redis: Redis;
  /** Writes as the auth service does: its key prefix applied by ioredis. */
  let authRedis: Redis;
  const preRevoked = uniqueName('before-start');
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let publicJwk: JWK;
  const prefix = `${uniqueName('authkit')}:`;
  const iss = 'waste-coach-auth';
  const aud = 'waste-coach';

  const token = (
    opts: { typ?: string; exp?: string | number; jti?: string; aud?: string; kid?: string } = {},
  ) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: opts.typ ?? 'at+jwt', kid: opts.kid ?? 'k1' })
      .setIssuer(iss)
      .setAudience(opts.aud ?? aud)
      .setSubject('user-1')
      .setJti(opts.jti ?? uniqueName('jti'))
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(privateKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    // A real HTTP JWKS endpoint, as the auth service serves it.
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const port = (jwksServer.address() as { port: number }).port;
    redis = new Redis(testUrls.redis);
    authRedis = new Redis(testUrls.redis, { keyPrefix: prefix });
    // Revoked before the service starts: its local copy must load it, not only hear announcements.
    await denylistTokens(authRedis, [{ jti: preRevoked, exp: Math.floor(Date.now() / 1000) + 300 }]);
    svc = await buildService(secureService, {
      catalog: demoCatalog,
      env: {
        LOG_LEVEL: 'silent',
        AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        AUTH_DENYLIST_URL: testUrls.redis,
        AUTH_DENYLIST_PREFIX: prefix,
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis?.quit();
    await authRedis?.quit();
    await new Promise((r) => jwksServer.close(r));
  });

  const me = (auth?: string) =>
    svc.app.inject({ url: '/api/v1/secure/me', headers: auth ? { authorization: auth } : {} });

  it('accepts a valid access token and exposes the user', async () => {
    const r = await me(`Bearer ${await token()}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ id: 'user-1' });
  });

  it('answers 401 with WWW-Authenticate when the token is missing', async () => {
    const r = await me();
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({ detail: 'not authenticated' });
    expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it('rejects tampered, expired, wrong-typ, wrong-audience, none and HS256 tokens', async () => {
    const good = await token();
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', iss, aud, exp: 9999999999, jti: 'x' })).toString('base64url')}.${s}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
    const hs = await new SignJWT({ sub: 'user-1', jti: 'j' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(iss)
      .setAudience(aud)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const cases: [string, string][] = [
      ['tampered', tampered],
      ['expired', await token({ exp: Math.floor(Date.now() / 1000) - 10 })],
      ['refresh token', await token({ typ: 'refresh+jwt' })],
      ['other audience', await token({ aud: 'someone-else' })],
      ['alg none', none],
      ['HS256', hs],
      ['garbage', 'not.a.jwt'],
    ];
    for (const [what, t] of cases) {
      const r = await me(`Bearer ${t}`);
      expect([what, r.statusCode]).toEqual([what, 401]);
    }
    expect((await me(`Bearer ${await token({ exp: Math.floor(Date.now() / 1000) - 10 })}`)).json()).toEqual({
      detail: 'token expired',
    });
  });

  it('rejects a token within a second of the auth service denylisting its jti', async () => {
    const jti = uniqueName('revoked');
    const t = await token({ jti });
    expect((await me(`Bearer ${t}`)).statusCode).toBe(200);
    await denylistTokens(authRedis, [{ jti, exp: Math.floor(Date.now() / 1000) + 300 }]);
    const at = Date.now();
    await eventually(async () => (await me(`Bearer ${t}`)).statusCode === 401, 1000, 'the revocation');
    expect(Date.now() - at).toBeLessThan(1000);
    expect((await me(`Bearer ${t}`)).json()).toEqual({ detail: 'token revoked' });
  });

  it('rejects a token denylisted before the service started', async () => {
    const r = await me(`Bearer ${await token({ jti: preRevoked })}`);
    expect([r.statusCode, r.json()]).toEqual([401, { detail: 'token revoked' }]);
  });

  describe('the local copy of the denylist', () => {
    const log = createLogger('denylist-test', 'silent');
    let cmd: Redis;
    let sub: Redis;
    let mirror: DenylistMirror;
    let verifier: TokenVerifier;
    const mprefix = `${uniqueName('mirror')}:`;
    let writer: Redis;
    const exp = () => Math.floor(Date.now() / 1000) + 300;

    beforeAll(() => {
      cmd = new Redis(testUrls.redis);
      sub = new Redis(testUrls.redis);
      writer = new Redis(testUrls.redis, { keyPrefix: mprefix });
      mirror = new DenylistMirror({ redis: cmd, subscriber: sub, prefix: mprefix, log, heartbeatMs: 100 });
      mirror.start();
      verifier = new TokenVerifier({
        jwks: createLocalJWKSet({ keys: [publicJwk] }),
        issuer: iss,
        audience: aud,
        denylist: { redis: cmd, prefix: mprefix, mirror },
      });
    });
    afterAll(async () => {
      mirror.stop();
      const keys = await cmd.keys(`${mprefix}*`);
      if (keys.length) await cmd.del(...keys);
      await Promise.all([cmd.quit(), sub.quit(), writer.quit()]);
    });

    it('answers from memory once synced, learns announcements and tells listeners', async () => {
      await eventually(() => mirror.isSynced, 5000, 'the first sync');
      const heard: string[] = [];
      const off = verifier.onRevoked((j) => heard.push(j));
      const jti = uniqueName('m');
      expect(mirror.revoked(jti)).toBe(false);
      await denylistTokens(writer, [{ jti, exp: exp() }]);
      await eventually(() => mirror.revoked(jti) === true, 1000, 'the announcement');
      expect(heard).toEqual([jti]);
      off();
      await denylistTokens(writer, [{ jti: uniqueName('after-off'), exp: exp() }]);
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([jti]);
    });

    it('is not trusted while its subscription is down, and the verifier asks Redis instead', async () => {
      await eventually(() => mirror.isSynced, 5000, 'sync');
      sub.disconnect(false);
      await eventually(() => mirror.revoked('x') === undefined, 1000, 'the copy going stale');
      // Revoked while the copy cannot hear it: no announcement reaches it.
      const heard: string[] = [];
      const off = mirror.onRevoked((j) => heard.push(j));
      const jti = uniqueName('missed');
      await writer.set(denylistKey(jti), '1', 'EX', 60);
      await expect(verifier.verify(await token({ jti }))).rejects.toMatchObject({
        statusCode: 401,
        message: 'token revoked',
      });
      await expect(verifier.verify(await token())).resolves.toMatchObject({ id: 'user-1' });
      // Back: the copy is rebuilt from the keys, so the missed revocation is in it.
      await sub.connect();
      await eventually(() => mirror.isSynced, 5000, 'the resync');
      expect(mirror.revoked(jti)).toBe(true);
      // Listeners learn of what was found in the rebuild, too.
      expect(heard).toContain(jti);
      off();
    });

    it('fails closed when neither the copy nor Redis can answer', async () => {
      await eventually(() => mirror.isSynced, 5000, 'sync');
      mirror.stop();
      const down = new TokenVerifier({
        jwks: createLocalJWKSet({ keys: [publicJwk] }),
        issuer: iss,
        audience: aud,
        denylist: {
          redis: new Redis('redis://127.0.0.1:1', {
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          }),
          prefix: mprefix,
          mirror,
        },
      });
      await expect(down.verify(await token())).rejects.toMatchObject({ statusCode: 503 });
    });
  });

  it('verifies optional-auth routes only when a token is sent, and documents bearer security', async () => {
    expect((await svc.app.inject({ url: '/api/v1/secure/maybe' })).json()).toEqual({ id: null });
    const r = await svc.app.inject({
      url: '/api/v1/secure/maybe',
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(r.json()).toEqual({ id: 'user-1' });
    const spec = (await svc.app.inject({ url: '/openapi.json' })).json();
    expect(spec.paths['/api/v1/secure/me'].get.security).toEqual([{ bearerAuth: [] }]);
  });
});
