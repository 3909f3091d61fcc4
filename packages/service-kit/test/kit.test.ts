import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import {
  createTestDatabase,
  eventually,
  freePort,
  startTcpProxy,
  testUrls,
  uniqueName,
  viaProxy,
  type TcpProxy,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { buildService, ConfigError, loadConfig, type BuiltService } from '../src';
import { demoCatalog, demoService } from './fixtures/demo';

const silent = { LOG_LEVEL: 'silent' };

describe('config from the catalog contract', () => {
  const workload = demoCatalog.get('demo');

  it('refuses a missing required variable, naming it', () => {
    expect(() => loadConfig(workload, { REDIS_URL: testUrls.redis, AMQP_URL: testUrls.amqp })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig(workload, { REDIS_URL: testUrls.redis, AMQP_URL: testUrls.amqp })).toThrow(
      /DATABASE_URL is required/,
    );
  });

  it('names every malformed variable at once', () => {
    try {
      loadConfig(workload, {
        DATABASE_URL: 'not a url',
        REDIS_URL: testUrls.redis,
        AMQP_URL: testUrls.amqp,
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
      });
      throw new Error('accepted');
    } catch (e) {
      const err = e as ConfigError;
      expect(err.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      expect(err.message).toContain('PORT must be an integer (got "eighty")');
      // A secret's value is never echoed back.
      expect(err.message).not.toContain('not a url');
    }
  });

  it('applies defaults and types', () => {
    const c = loadConfig(workload, {
      DATABASE_URL: 'postgres://x@h/db',
      REDIS_URL: 'redis://h',
      AMQP_URL: 'amqp://h',
      PORT: '8123',
    });
    expect(c.number('PORT')).toBe(8123);
    expect(c.string('GREETING')).toBe('hello');
    expect(c.string('REDIS_KEY_PREFIX')).toBe('demo:');
    expect(() => c.number('GREETING')).toThrow(/is a string, not a number/);
    expect(() => c.string('NOPE')).toThrow(/not in this workload's env contract/);
  });
});

describe('a service built by the kit, with real PostgreSQL, Redis and RabbitMQ', () => {
  let db: TestDatabase;
  let svc: BuiltService;
  let redisProxy: TcpProxy;
  let amqpProxy: TcpProxy;

  beforeAll(async () => {
    db = await createTestDatabase('kit');
    redisProxy = await startTcpProxy(testUrls.redis);
    amqpProxy = await startTcpProxy(testUrls.amqp);
    svc = await buildService(demoService, {
      catalog: demoCatalog,
      env: {
        ...silent,
        DATABASE_URL: db.url,
        REDIS_URL: viaProxy(testUrls.redis, redisProxy),
        REDIS_KEY_PREFIX: `${uniqueName('kit')}:`,
        AMQP_URL: viaProxy(testUrls.amqp, amqpProxy),
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await redisProxy?.close();
    await amqpProxy?.close();
    await db?.drop();
  });

  it('ran its migrations and serves its routes under the catalog route prefix', async () => {
    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/demo/items',
      payload: { name: 'can', count: 2 },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: number }>().id;
    const got = await svc.app.inject({ url: `/api/v1/demo/items/${id}` });
    expect(got.json()).toEqual({ id, name: 'can' });
    expect((await svc.app.inject({ url: '/api/v1/demo/hello' })).json()).toEqual({ message: 'hello' });
  });

  it('answers validation errors with 422 in the FastAPI shape', async () => {
    const r = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/demo/items',
      payload: { name: 'x', extra: true },
    });
    expect(r.statusCode).toBe(422);
    const detail = r.json<{ detail: { loc: (string | number)[]; msg: string; type: string }[] }>().detail;
    expect(detail).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'count'], msg: 'Field required', type: 'missing' },
        expect.objectContaining({ loc: ['body', 'name'], type: 'string_too_short' }),
        { loc: ['body', 'extra'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
      ]),
    );
    const q = await svc.app.inject({ url: '/api/v1/demo/slow?ms=abc' });
    expect(q.statusCode).toBe(422);
    expect(q.json().detail[0]).toMatchObject({ loc: ['query', 'ms'], type: 'integer_type' });
    const p = await svc.app.inject({ url: '/api/v1/demo/items/xyz' });
    expect(p.json().detail[0]).toMatchObject({ loc: ['path', 'id'] });
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/demo/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0]).toMatchObject({ loc: ['body'], type: 'json_invalid' });
  });

  it('answers values PostgreSQL cannot take (NUL, Infinity) and malformed URLs with a 4xx, storing nothing', async () => {
    const count = async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        return Number((await c.query('SELECT count(*) FROM items')).rows[0].count);
      } finally {
        await c.end();
      }
    };
    const before = await count();
    const cases: [string, InjectOptions, unknown][] = [
      [
        'NUL in a body string',
        { method: 'POST', url: '/api/v1/demo/items', payload: { name: 'a\u0000b', count: 1 } },
        { loc: ['body', 'name'], msg: 'String should not contain NUL characters', type: 'string_nul' },
      ],
      [
        'Infinity coerced from a body string',
        { method: 'POST', url: '/api/v1/demo/items', payload: { name: 'can', count: 'Infinity' } },
        { loc: ['body', 'count'], msg: 'Input should be a finite number', type: 'finite_number' },
      ],
      [
        'Infinity in the query (where no maximum catches it)',
        { url: '/api/v1/demo/echo?n=Infinity' },
        { loc: ['query', 'n'], msg: 'Input should be a finite number', type: 'finite_number' },
      ],
      [
        '-Infinity in the path',
        { url: '/api/v1/demo/items/-Infinity' },
        { loc: ['path', 'id'], msg: 'Input should be a finite number', type: 'finite_number' },
      ],
    ];
    for (const [what, req, item] of cases) {
      const r: LightMyRequestResponse = await svc.app.inject(req);
      expect([what, r.statusCode, r.json()]).toEqual([what, 422, { detail: [item] }]);
    }
    expect(await count()).toBe(before);
    const url = await svc.app.inject({ url: '/api/v1/demo/items/%ZZ' });
    expect([url.statusCode, url.json()]).toEqual([400, { detail: 'Bad Request: malformed URL' }]);
    // A body nested far deeper than any call stack is walked without a crash.
    const deep = `{"name":"can","count":1,"x":${'['.repeat(200000)}${']'.repeat(200000)}}`;
    const nested = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/demo/items',
      headers: { 'content-type': 'application/json' },
      payload: deep,
    });
    expect(nested.statusCode).toBeLessThan(500);
    expect(await count()).toBe(before + (nested.statusCode === 201 ? 1 : 0));
  });

  it('answers other errors as {"detail": ...} and never leaks internals in a 5xx', async () => {
    const missing = await svc.app.inject({ url: '/api/v1/demo/items/999999' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'item not found' });
    expect((await svc.app.inject({ url: '/nowhere' })).json()).toEqual({ detail: 'Not Found' });
    const boom = await svc.app.inject({ url: '/api/v1/demo/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).toBe('{"detail":"Internal Server Error"}');
    // A dependency that cannot be reached is a 503 the client may retry, not a 500.
    const down = await svc.app.inject({ url: `/api/v1/demo/upstream?port=${await freePort()}` });
    expect([down.statusCode, down.headers['retry-after'], down.body]).toEqual([
      503,
      '5',
      '{"detail":"Service Unavailable"}',
    ]);
  });

  it('describes every route in /openapi.json and serves /docs', async () => {
    const spec = (await svc.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        '/api/v1/demo/boom',
        '/api/v1/demo/echo',
        '/api/v1/demo/hello',
        '/api/v1/demo/items',
        '/api/v1/demo/items/{id}',
        '/api/v1/demo/slow',
        '/api/v1/demo/upstream',
      ].sort(),
    );
    expect(spec.paths['/api/v1/demo/items']).toHaveProperty('post.requestBody');
    const docs = await svc.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('exposes request durations by route and status on /metrics', async () => {
    await svc.app.inject({ url: '/api/v1/demo/hello' });
    const m = (await svc.app.inject({ url: '/metrics' })).body;
    expect(m).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/demo\/hello"[^}]*status_code="200"[^}]*\} [1-9]/,
    );
    expect(m).toContain('process_resident_memory_bytes');
  });

  it('turns /ready 503 naming the dependency that is down, and 200 when it returns', async () => {
    expect((await svc.app.inject({ url: '/ready' })).statusCode).toBe(200);
    redisProxy.cut();
    const down = await svc.app.inject({ url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(Object.keys(down.json().failed)).toEqual(['redis']);
    redisProxy.restore();
    await eventually(
      async () => (await svc.app.inject({ url: '/ready' })).statusCode === 200,
      15000,
      'redis to come back',
    );

    amqpProxy.cut();
    await eventually(
      async () => {
        const r = await svc.app.inject({ url: '/ready' });
        return r.statusCode === 503 && 'rabbitmq' in r.json().failed;
      },
      10000,
      'rabbitmq to be reported down',
    );
    amqpProxy.restore();
    await eventually(
      async () => (await svc.app.inject({ url: '/ready' })).statusCode === 200,
      15000,
      'rabbitmq to come back',
    );
    expect((await svc.app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
  });
});
