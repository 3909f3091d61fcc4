import {
  buildService,
  createLogger,
  denylistTokens,
  runMigrations,
  type BuiltService,
} from '@hybrid/service-kit';
import { catalog } from '@hybrid/catalog';
import {
  createTestDatabase,
  dropTopology,
  eventually,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { Redis } from 'ioredis';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { chatService } from '../src/app';
import { buildQueries } from '../src/retrieval';
import { connect, infoMigrationsDir, refusedStatus, startLlmServer, type Client } from './helpers';

describe('chat service', () => {
  let db: TestDatabase;
  let redis: Redis;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwks: ReturnType<typeof createLocalJWKSet>;
  let llm: Awaited<ReturnType<typeof startLlmServer>>;
  const prefix = `${uniqueName('chat')}:`;
  const services: BuiltService[] = [];
  const clients: Client[] = [];

  const token = (sub: string, exp: string | number = '5m') =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
      .setIssuer('waste-coach-auth')
      .setAudience('waste-coach')
      .setSubject(sub)
      .setJti(uniqueName('jti'))
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey);

  /** A chat service on an ephemeral port; returns its WebSocket URL and HTTP base. */
  async function start(env: Record<string, string> = {}) {
    const svc = await buildService(chatService, {
      jwks,
      env: {
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        REDIS_URL: testUrls.redis,
        REDIS_KEY_PREFIX: prefix,
        AUTH_DENYLIST_URL: testUrls.redis,
        AUTH_DENYLIST_PREFIX: `${prefix}auth:`,
        CHAT_RATE_LIMIT_PER_MIN: '5',
        CHAT_MAX_MESSAGE_CHARS: '200',
        CHAT_AUTH_TIMEOUT_MS: '300',
        AMQP_URL: testUrls.amqp,
        QUEUE_PREFIX: `${prefix}.`,
        ...env,
      },
    });
    services.push(svc);
    const base = await svc.app.listen({ port: 0, host: '127.0.0.1' });
    return { svc, ws: `${base.replace('http', 'ws')}/api/v1/chat/ws`, http: `${base}/api/v1/chat` };
  }
  let plain: Awaited<ReturnType<typeof start>>;

  /** An authenticated connection for a fresh user (the bearer subprotocol). */
  async function session(url: string, user = uniqueName('user')) {
    const c = connect(url, { protocols: ['chat.v1', `bearer.${await token(user)}`] });
    clients.push(c);
    await c.opened;
    await c.next('ready');
    return { c, user };
  }

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    privateKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    jwks = createLocalJWKSet({ keys: [jwk] });
    db = await createTestDatabase('chat');
    await runMigrations(db.url, infoMigrationsDir, createLogger('test', 'silent'));
    redis = new Redis(testUrls.redis);
    llm = await startLlmServer();
    plain = await start();
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    for (const s of services) await s.close();
    await llm?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis?.quit();
    await db?.drop();
    await dropTopology(catalog, `${prefix}.`);
  });

  describe('authentication', () => {
    it('accepts a token offered as a bearer subprotocol and selects chat.v1 without echoing it', async () => {
      const { c, user } = await session(plain.ws);
      expect(c.ws.protocol).toBe('chat.v1');
      c.send({ type: 'ping' });
      expect(await c.next('pong')).toEqual({ type: 'pong' });
      expect(user).toMatch(/^user_/);
    });

    it('accepts a token in a first auth message', async () => {
      const c = connect(plain.ws);
      clients.push(c);
      await c.opened;
      // A question sent right behind the auth message waits for it.
      c.send({ type: 'auth', token: await token('first-message-user') });
      c.send({ type: 'ask', id: 'right-behind', text: 'battery' });
      expect(await c.next('ready')).toEqual({ type: 'ready', userId: 'first-message-user' });
      expect(await c.next('done')).toMatchObject({ id: 'right-behind', mode: 'retrieval' });
    });

    it('refuses bad handshake tokens with 401 and URL tokens with 400, before the upgrade', async () => {
      const bad = await refusedStatus(plain.ws, ['chat.v1', 'bearer.not.a.jwt']);
      expect(bad.status).toBe(401);
      expect(JSON.parse(bad.body)).toEqual({ detail: 'invalid token' });
      const expired = await refusedStatus(plain.ws, [
        'chat.v1',
        `bearer.${await token('u', Math.floor(Date.now() / 1000) - 5)}`,
      ]);
      expect(JSON.parse(expired.body)).toEqual({ detail: 'token expired' });
      const inUrl = await refusedStatus(`${plain.ws}?token=${await token('u')}`, ['chat.v1']);
      expect(inUrl.status).toBe(400);
    });

    it('closes with 4401 on questions before auth, a bad auth message, or no auth in time', async () => {
      const early = connect(plain.ws);
      clients.push(early);
      await early.opened;
      early.send({ type: 'ask', text: 'battery' });
      expect((await early.next('error')).code).toBe('not_authenticated');
      await early.closed;
      expect(early.closeCode).toBe(4401);

      const forged = connect(plain.ws);
      clients.push(forged);
      await forged.opened;
      forged.send({ type: 'auth', token: 'eyJhbGciOiJub25lIn0.e30.' });
      await forged.closed;
      expect([forged.closeCode, forged.closeReason]).toEqual([4401, 'invalid token']);

      const silent = connect(plain.ws);
      clients.push(silent);
      await silent.opened;
      await silent.closed;
      expect([silent.closeCode, silent.closeReason]).toEqual([4401, 'authentication required']);
    });

    it('refuses a token the auth service has denylisted (logged out)', async () => {
      const jti = uniqueName('revoked');
      const t = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
        .setIssuer('waste-coach-auth')
        .setAudience('waste-coach')
        .setSubject('revoked-user')
        .setJti(jti)
        .setExpirationTime('5m')
        .sign(privateKey);
      const authRedis = new Redis(testUrls.redis, { keyPrefix: `${prefix}auth:` });
      await denylistTokens(authRedis, [{ jti, exp: Math.floor(Date.now() / 1000) + 60 }]);
      await authRedis.quit();
      // The service hears the announcement within a second.
      let r = { status: 0, body: '' };
      await eventually(
        async () => {
          r = await refusedStatus(plain.ws, ['chat.v1', `bearer.${t}`]).catch(() => r);
          return r.status === 401;
        },
        1000,
        'the revocation',
      );
      expect([r.status, JSON.parse(r.body)]).toEqual([401, { detail: 'token revoked' }]);
    });

    it('closes an open connection as soon as its token is revoked', async () => {
      const jti = uniqueName('open-revoked');
      const t = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
        .setIssuer('waste-coach-auth')
        .setAudience('waste-coach')
        .setSubject('open-user')
        .setJti(jti)
        .setExpirationTime('5m')
        .sign(privateKey);
      const c = connect(plain.ws, { protocols: ['chat.v1', `bearer.${t}`] });
      clients.push(c);
      await c.next('ready');
      const authRedis = new Redis(testUrls.redis, { keyPrefix: `${prefix}auth:` });
      await denylistTokens(authRedis, [{ jti, exp: Math.floor(Date.now() / 1000) + 60 }]);
      await authRedis.quit();
      const at = Date.now();
      await c.closed;
      expect([c.closeCode, c.closeReason]).toEqual([4401, 'token revoked']);
      expect(Date.now() - at).toBeLessThan(1000);
    });

    it('closes the connection when its token expires', async () => {
      const c = connect(plain.ws, {
        protocols: ['chat.v1', `bearer.${await token('short', Math.floor(Date.now() / 1000) + 2)}`],
      });
      clients.push(c);
      await c.next('ready');
      await c.closed;
      expect([c.closeCode, c.closeReason]).toEqual([4401, 'token expired']);
    });

    it('requires a token for the history endpoints', async () => {
      expect((await fetch(`${plain.http}/history`)).status).toBe(401);
      expect((await fetch(`${plain.http}/history`, { method: 'DELETE' })).status).toBe(401);
    });
  });

  describe('answers from the guidance (no LLM)', () => {
    it('answers an English question with the matching steps and cites them', async () => {
      const { c } = await session(plain.ws);
      const { start: s, tokens, final } = await c.ask('How do I throw away a greasy pizza box?');
      expect(final.type).toBe('done');
      expect(final.mode).toBe('retrieval');
      const sources = final.sources as { type: string; slug: string; category: string; url: string }[];
      expect(sources.map((x) => [x.type, x.slug])).toEqual([
        ['material', 'pizza-box'],
        ['category', 'general'],
      ]);
      expect(sources[0]!.url).toBe('/api/v1/info/categories/general');
      expect(s.sources).toEqual(final.sources);
      const text = final.text as string;
      expect(text).toContain('Greasy pizza box goes with General waste.');
      expect(text).toContain('1. Check that nothing recyclable is left in.');
      expect(text).toContain('2. Put it in the official volume-rate bag and tie it.');
      expect(text).toContain('Sources: Greasy pizza box [pizza-box], General waste [general]');
      expect(tokens.join('').trimEnd()).toBe(text);
    });

    it('answers in Korean, finding words through their particles', async () => {
      const { c } = await session(plain.ws);
      const battery = await c.ask('건전지는 어떻게 버려요?');
      expect((battery.final.sources as { slug: string }[]).map((x) => x.slug)).toContain('batteries');
      expect(battery.final.text).toContain('폐건전지 수거함에 넣습니다.');
      expect(battery.final.text).toContain('출처:');
      const carton = await c.ask('우유팩은 어디에 버리나요');
      expect((carton.final.sources as { slug: string }[]).map((x) => x.slug)).toEqual([
        'milk-carton',
        'paper-packs',
      ]);
      expect(carton.final.text).toContain('우유팩: 종이팩(으)로 배출합니다.');
      expect(carton.final.text).toContain('1. 내용물을 비우고 물로 헹굽니다.');
    });

    it('says so when nothing matches, and keeps the conversation in history', async () => {
      const { c, user } = await session(plain.ws);
      const r = await c.ask('quantum chromodynamics');
      expect(r.final.sources).toEqual([]);
      expect(r.final.text).toMatch(/couldn't find disposal guidance/);
      await c.ask('milk carton', { lang: 'en' });
      const auth = { authorization: `Bearer ${await token(user)}` };
      const h = (await (await fetch(`${plain.http}/history`, { headers: auth })).json()) as {
        messages: { role: string; content: string }[];
      };
      expect(h.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(h.messages[0]!.content).toBe('quantum chromodynamics');
      expect(h.messages[3]!.content).toContain('Milk carton goes with Paper packs.');
      expect((await fetch(`${plain.http}/history`, { method: 'DELETE', headers: auth })).status).toBe(204);
      expect(await (await fetch(`${plain.http}/history`, { headers: auth })).json()).toEqual({
        messages: [],
      });
    });

    it('builds full-text queries from words only, so input cannot inject tsquery syntax', () => {
      expect(buildQueries("pizza & !box | (x):* '")).toEqual({ english: 'pizza | box | x', simple: '' });
      expect(buildQueries('건전지는 버려요')).toEqual({
        english: '',
        simple: '건전지는:* | 건전지:* | 건전:* | 버려요:* | 버려:*',
      });
    });
  });

  describe('limits', () => {
    it('rejects empty, oversized and malformed messages without answering', async () => {
      const { c } = await session(plain.ws);
      c.send({ type: 'ask', id: 'e', text: '   ' });
      expect(await c.next('error')).toMatchObject({ id: 'e', code: 'empty_message' });
      c.send({ type: 'ask', id: 'l', text: 'x'.repeat(201) });
      expect(await c.next('error')).toMatchObject({ id: 'l', code: 'message_too_long' });
      c.send('not json');
      expect(await c.next('error')).toMatchObject({ code: 'bad_message' });
      c.send({ type: 'ask', text: 'ok', lang: 'fr' });
      expect(await c.next('error')).toMatchObject({
        code: 'bad_message',
        message: 'lang must be "en" or "ko"',
      });
      // 200 characters is fine.
      expect((await c.ask(`battery ${'a'.repeat(192)}`)).final.type).toBe('done');
      // A frame beyond any acceptable question closes the connection (1009, message too big).
      c.send({ type: 'ask', text: 'x'.repeat(5000) });
      await c.closed;
      expect(c.closeCode).toBe(1009);
    });

    it('limits questions per user across connections, not per connection', async () => {
      const user = uniqueName('rate');
      const a = (await session(plain.ws, user)).c;
      const b = (await session(plain.ws, user)).c;
      for (let i = 0; i < 5; i++) expect((await (i % 2 ? b : a).ask('battery')).final.type).toBe('done');
      a.send({ type: 'ask', id: 'over', text: 'battery' });
      const err = await a.next('error');
      expect(err).toMatchObject({ id: 'over', code: 'rate_limited' });
      expect(err.retryAfterSec).toBeGreaterThanOrEqual(1);
      expect(err.retryAfterSec).toBeLessThanOrEqual(60);
      // The window lives in Redis under the service's prefix, shared by both connections.
      expect(await redis.zcard(`${prefix}rate:${user}`)).toBe(5);
      // Someone else is not affected.
      const other = (await session(plain.ws)).c;
      expect((await other.ask('battery')).final.type).toBe('done');
    });

    it('forgets history after its TTL', async () => {
      const short = await start({ CHAT_HISTORY_TTL_SEC: '1' });
      const { c, user } = await session(short.ws);
      await c.ask('glass bottle');
      const key = `${prefix}history:${user}`;
      expect(await redis.llen(key)).toBe(2);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);
      await eventually(async () => (await redis.exists(key)) === 0, 5000, 'history to expire');
      const h = await fetch(`${short.http}/history`, {
        headers: { authorization: `Bearer ${await token(user)}` },
      });
      expect(await h.json()).toEqual({ messages: [] });
    });
  });

  describe('with an OpenAI-compatible LLM', () => {
    let withLlm: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      withLlm = await start({ LLM_BASE_URL: llm.url, LLM_API_KEY: 'test-key', LLM_MODEL: 'local-model' });
    });
    beforeEach(() => {
      llm.state.mode = 'tokens';
    });

    it('streams the tokens, grounded in the retrieved guidance, with the history as context', async () => {
      const { c } = await session(withLlm.ws);
      llm.state.tokens = ['Put it ', 'in a volume-rate ', 'bag ', '[general].'];
      const first = await c.ask('greasy pizza box?');
      expect(first.tokens).toEqual(llm.state.tokens);
      expect(first.final).toMatchObject({
        type: 'done',
        mode: 'llm',
        text: 'Put it in a volume-rate bag [general].',
      });
      expect((first.final.sources as { slug: string }[]).map((s) => s.slug)).toEqual([
        'pizza-box',
        'general',
      ]);
      const call = llm.calls.at(-1)!;
      expect(call.authorization).toBe('Bearer test-key');
      expect(call.body).toMatchObject({ model: 'local-model', stream: true });
      const system = call.body.messages[0]!;
      expect(system.role).toBe('system');
      expect(system.content).toContain('Answer in English.');
      expect(system.content).toContain(
        '[pizza-box] Greasy pizza box belongs to the category "General waste".',
      );
      expect(system.content).toContain(
        '[general] step 2: Put it in the official volume-rate bag and tie it.',
      );
      expect(call.body.messages.slice(1)).toEqual([{ role: 'user', content: 'greasy pizza box?' }]);

      llm.state.tokens = ['네, ', '알겠습니다.'];
      const second = await c.ask('소주병은요?');
      expect(second.final.text).toBe('네, 알겠습니다.');
      const next = llm.calls.at(-1)!;
      expect(next.body.messages[0]!.content).toContain('Answer in Korean.');
      expect(next.body.messages[0]!.content).toContain('[soju-bottle]');
      expect(next.body.messages.slice(1)).toEqual([
        { role: 'user', content: 'greasy pizza box?' },
        { role: 'assistant', content: 'Put it in a volume-rate bag [general].' },
        { role: 'user', content: '소주병은요?' },
      ]);
    });

    it('falls back to the embedded answer when the LLM fails before streaming', async () => {
      llm.state.mode = 'fail';
      const { c } = await session(withLlm.ws);
      const r = await c.ask('milk carton');
      expect(r.final).toMatchObject({ type: 'done', mode: 'retrieval' });
      expect(r.final.text).toContain('Milk carton goes with Paper packs.');
    });

    it('aborts the upstream request when the client disconnects mid-answer, and keeps no history', async () => {
      llm.state.mode = 'slow';
      const { c, user } = await session(withLlm.ws);
      const calls = llm.calls.length;
      c.send({ type: 'ask', id: 'gone', text: 'battery' });
      await c.next('token');
      c.ws.terminate();
      await eventually(() => llm.calls[calls]?.aborted === true, 5000, 'the LLM request to be aborted');
      const call = llm.calls[calls]!;
      expect(call.finished).toBe(false);
      expect(call.chunksSent).toBeLessThan(100);
      expect(await redis.exists(`${prefix}history:${user}`)).toBe(0);
    });

    it('cancels an answer on request, and refuses a second question while one is running', async () => {
      llm.state.mode = 'slow';
      const { c } = await session(withLlm.ws);
      const calls = llm.calls.length;
      c.send({ type: 'ask', id: 'long', text: 'battery' });
      await c.next('token');
      c.send({ type: 'ask', id: 'second', text: 'glass' });
      expect(await c.next('error')).toMatchObject({ id: 'second', code: 'busy' });
      c.send({ type: 'cancel' });
      expect(await c.next('cancelled')).toEqual({ type: 'cancelled', id: 'long' });
      await eventually(() => llm.calls[calls]?.aborted === true, 5000, 'the LLM request to be aborted');
      // The connection stays usable.
      llm.state.mode = 'tokens';
      llm.state.tokens = ['ok'];
      expect((await c.ask('glass')).final).toMatchObject({ type: 'done', text: 'ok' });
    });
  });
});
