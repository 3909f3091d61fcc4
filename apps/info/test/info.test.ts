import { createTestDatabase, type TestDatabase } from '@hybrid/tools/test-env';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import { infoService } from '../src/app';

describe('info service against a real PostgreSQL', () => {
  let db: TestDatabase;
  let svc: BuiltService;
  const get = (url: string) => svc.app.inject({ url: `/api/v1/info${url}` });

  beforeAll(async () => {
    db = await createTestDatabase('info');
    svc = await buildService(infoService, { env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent' } });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  it('lists the seeded categories in both languages', async () => {
    const r = await get('/categories');
    expect(r.statusCode).toBe(200);
    const items = r.json<{
      items: { slug: string; name: { en: string; ko: string }; materialCount: number }[];
    }>().items;
    expect(items.length).toBeGreaterThanOrEqual(15);
    expect(items[0]).toMatchObject({ slug: 'paper', name: { en: 'Paper', ko: '종이류' } });
    expect(items.find((c) => c.slug === 'plastic')!.materialCount).toBeGreaterThan(0);
  });

  it('returns a category with ordered steps and its materials', async () => {
    const r = await get('/categories/clear-pet');
    expect(r.statusCode).toBe(200);
    const c = r.json();
    expect(c.name).toEqual({ en: 'Clear PET bottles', ko: '투명 페트병' });
    expect(c.steps.map((s: { position: number }) => s.position)).toEqual([1, 2, 3]);
    expect(c.steps[0].text.ko).toContain('라벨');
    expect(c.materials.map((m: { slug: string }) => m.slug)).toContain('pet-bottle');
  });

  it('answers 404 for an unknown slug and 422 for a malformed one', async () => {
    const missing = await get('/categories/unobtainium');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'category "unobtainium" not found' });
    const bad = await get('/categories/Not_A_Slug');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0]).toMatchObject({ loc: ['path', 'slug'], type: 'string_pattern_mismatch' });
  });

  it('searches in English with stemming, ranked by relevance', async () => {
    const r = await get('/search?q=bottles');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.total).toBeGreaterThanOrEqual(3);
    const slugs = body.items.map((i: { slug: string }) => i.slug);
    expect(slugs).toEqual(expect.arrayContaining(['clear-pet', 'glass']));
    const ranks = body.items.map((i: { rank: number }) => i.rank);
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
  });

  it('searches in Korean and points a material at its category', async () => {
    const r = await get(`/search?q=${encodeURIComponent('닭뼈')}`);
    const items = r.json().items;
    expect(items[0]).toMatchObject({ type: 'material', slug: 'chicken-bones', category: 'general' });
    const battery = (await get(`/search?q=${encodeURIComponent('보조배터리')}`)).json().items;
    expect(battery[0]).toMatchObject({ slug: 'phone-battery', category: 'batteries' });
  });

  it('paginates with a stable total', async () => {
    const all = (await get('/search?q=bottle&limit=50')).json();
    const page1 = (await get('/search?q=bottle&limit=2&offset=0')).json();
    const page2 = (await get('/search?q=bottle&limit=2&offset=2')).json();
    expect(page1.total).toBe(all.total);
    expect(page2.total).toBe(all.total);
    expect([...page1.items, ...page2.items].map((i: { slug: string }) => i.slug)).toEqual(
      all.items.slice(0, 4).map((i: { slug: string }) => i.slug),
    );
    const beyond = (await get('/search?q=bottle&limit=2&offset=900')).json();
    expect(beyond).toMatchObject({ items: [], total: all.total });
    expect((await get('/search?q=zzzqqq')).json()).toMatchObject({ total: 0, items: [] });
  });

  it('rejects bad query parameters with 422', async () => {
    for (const [qs, field] of [
      ['', 'q'],
      ['?q=', 'q'],
      ['?q=%20%20', 'q'],
      ['?q=can&limit=0', 'limit'],
      ['?q=can&limit=abc', 'limit'],
      ['?q=can&offset=-1', 'offset'],
      [`?q=${'x'.repeat(101)}`, 'q'],
    ] as const) {
      const r = await get(`/search${qs}`);
      expect([qs, r.statusCode]).toEqual([qs, 422]);
      expect(r.json().detail[0].loc).toEqual(['query', field]);
    }
  });

  it('describes every route in OpenAPI and serves /docs', async () => {
    const spec = (await svc.app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(spec.paths).sort()).toEqual([
      '/api/v1/info/categories',
      '/api/v1/info/categories/{slug}',
      '/api/v1/info/search',
    ]);
    expect(spec.paths['/api/v1/info/search'].get.responses).toHaveProperty('422');
    expect((await svc.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });

  it('is ready with its database', async () => {
    expect((await svc.app.inject({ url: '/ready' })).json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok' },
    });
  });
});
