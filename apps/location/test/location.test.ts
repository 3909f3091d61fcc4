import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import { createTestDatabase, type TestDatabase } from '@hybrid/tools/test-env';
import pg from 'pg';
import { locationService, SAMPLE_DATA_FILE } from '../src/app';
import { ImportError, importPoints, parseCsv, parseGeoJson, type PointInput } from '../src/points';
import { generateSeoulPoints } from '../src/sample';

/** earthdistance's sphere radius (the `earth()` function), in metres. */
const EARTH_R = 6378168;
function haversine(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_R * Math.asin(Math.sqrt(a));
}

interface Item {
  id: number;
  name: string;
  categories: string[];
  lat: number;
  lng: number;
  distanceM: number;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

describe('location service', () => {
  let db: TestDatabase;
  let svc: BuiltService;
  let pool: pg.Pool;
  const points: PointInput[] = generateSeoulPoints(3000, 7);
  const CITY_HALL = { lat: 37.5663, lng: 126.9779 };

  beforeAll(async () => {
    db = await createTestDatabase('location');
    svc = await buildService(locationService, { env: { LOG_LEVEL: 'silent', DATABASE_URL: db.url } });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await importPoints(pool, points);
    await pool.query('ANALYZE collection_points');
  });
  afterAll(async () => {
    await svc?.close();
    await pool?.end();
    await db?.drop();
  });

  const get = async (url: string) => svc.app.inject({ url: `/api/v1/location${url}` });
  const nearby = async (qs: string): Promise<Page> => {
    const r = await get(`/nearby?${qs}`);
    expect(r.statusCode).toBe(200);
    return r.json<Page>();
  };
  /** The truth, by brute force over every point. */
  const expected = (lat: number, lng: number, radius: number, category?: string) =>
    points
      .map((p) => ({ p, d: haversine(lat, lng, p.lat, p.lng) }))
      .filter(({ p, d }) => d <= radius && (!category || p.categories.includes(category as never)))
      .sort((a, b) => a.d - b.d);

  it('orders points by distance, with distances matching a haversine computation', async () => {
    const { lat, lng } = CITY_HALL;
    const page = await nearby(`lat=${lat}&lng=${lng}&radius=1500&limit=100`);
    const truth = expected(lat, lng, 1500);
    expect(truth.length).toBeGreaterThan(10);
    expect(page.items).toHaveLength(Math.min(100, truth.length));
    for (let i = 0; i < page.items.length; i++) {
      const item = page.items[i]!;
      expect(Math.abs(item.distanceM - haversine(lat, lng, item.lat, item.lng))).toBeLessThan(0.05);
      if (i > 0) expect(item.distanceM).toBeGreaterThanOrEqual(page.items[i - 1]!.distanceM);
      expect(Math.abs(item.distanceM - truth[i]!.d)).toBeLessThan(0.05);
      expect(item.distanceM).toBeLessThanOrEqual(1500);
    }
    // Every point within the radius is found (nothing lost in the box's corners), none outside it.
    const all = await walk(`lat=${lat}&lng=${lng}&radius=1500&limit=100`);
    expect(all.map((i) => i.name).sort()).toEqual(truth.map((t) => t.p.name).sort());
  });

  it('filters by category', async () => {
    const { lat, lng } = CITY_HALL;
    const page = await nearby(`lat=${lat}&lng=${lng}&radius=3000&category=lamp&limit=100`);
    const truth = expected(lat, lng, 3000, 'lamp');
    expect(truth.length).toBeGreaterThan(3);
    expect(page.items.map((i) => i.name)).toEqual(truth.slice(0, 100).map((t) => t.p.name));
    for (const item of page.items) expect(item.categories).toContain('lamp');
    const other = await nearby(`lat=${lat}&lng=${lng}&radius=3000&category=clothing&limit=100`);
    expect(other.items.map((i) => i.name)).toEqual(
      expected(lat, lng, 3000, 'clothing')
        .slice(0, 100)
        .map((t) => t.p.name),
    );
    for (const item of other.items) expect(item.categories).toContain('clothing');
    expect(other.items.some((i) => !i.categories.includes('lamp'))).toBe(true);
  });

  async function walk(qs: string): Promise<Item[]> {
    const out: Item[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 1000; guard++) {
      const page: Page = await nearby(`${qs}${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return out;
    }
    throw new Error('pagination did not end');
  }

  it('pages with cursors: no overlap, no gap, same order as one big page', async () => {
    const { lat, lng } = CITY_HALL;
    const qs = `lat=${lat}&lng=${lng}&radius=2500`;
    const pages = await walk(`${qs}&limit=7`);
    const truth = expected(lat, lng, 2500);
    expect(pages.length).toBe(truth.length);
    expect(new Set(pages.map((p) => p.id)).size).toBe(pages.length);
    expect(pages.map((p) => p.name)).toEqual(truth.map((t) => t.p.name));
    const first = await nearby(`${qs}&limit=7`);
    expect(first.items).toHaveLength(7);
    // The last page says so.
    const small = await nearby(`lat=${lat}&lng=${lng}&radius=1&limit=5`);
    expect(small.nextCursor).toBeNull();
    // A cursor only continues the query it came from.
    const moved = await get(
      `/nearby?lat=${lat + 0.01}&lng=${lng}&radius=2500&limit=7&cursor=${first.nextCursor}`,
    );
    expect(moved.statusCode).toBe(422);
    expect(moved.json().detail[0].loc).toEqual(['query', 'cursor']);
  });

  it('uses the GiST index for the nearby search', async () => {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM collection_points p
        WHERE earth_box(ll_to_earth(37.5663, 126.9779), 2000) @> p.earth
        ORDER BY p.earth <-> ll_to_earth(37.5663, 126.9779) LIMIT 20`,
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('collection_points_earth_idx');
  });

  it('answers 422 in FastAPI shape for every out-of-bounds parameter', async () => {
    const cases: [string, (string | number)[]][] = [
      ['lat=91&lng=127', ['query', 'lat']],
      ['lat=-90.5&lng=127', ['query', 'lat']],
      ['lat=37.5&lng=180.01', ['query', 'lng']],
      ['lat=abc&lng=127', ['query', 'lat']],
      ['lng=127', ['query', 'lat']],
      ['lat=37.5&lng=127&radius=0', ['query', 'radius']],
      ['lat=37.5&lng=127&radius=50001', ['query', 'radius']],
      ['lat=37.5&lng=127&radius=1.5', ['query', 'radius']],
      ['lat=37.5&lng=127&limit=0', ['query', 'limit']],
      ['lat=37.5&lng=127&limit=101', ['query', 'limit']],
      ['lat=37.5&lng=127&category=plutonium', ['query', 'category']],
      ['lat=37.5&lng=127&cursor=not%20a%20cursor', ['query', 'cursor']],
      ['lat=37.5&lng=127&cursor=e30', ['query', 'cursor']],
      ['lat=37.5&lng=127&page=2', ['query', 'page']],
    ];
    for (const [qs, loc] of cases) {
      const r = await get(`/nearby?${qs}`);
      expect([qs, r.statusCode]).toEqual([qs, 422]);
      const body = r.json<{ detail: { loc: unknown[]; msg: string; type: string }[] }>();
      expect([qs, body.detail.map((d) => d.loc)]).toEqual([qs, expect.arrayContaining([loc])]);
    }
    expect((await get('/points/abc')).statusCode).toBe(422);
    expect((await get('/points/0')).statusCode).toBe(422);
  });

  it('serves one point by id, 404 for an unknown one', async () => {
    const page = await nearby(`lat=${CITY_HALL.lat}&lng=${CITY_HALL.lng}&limit=1`);
    const first = page.items[0]!;
    const r = await get(`/points/${first.id}`);
    expect(r.statusCode).toBe(200);
    const { distanceM: _d, ...point } = first;
    expect(r.json()).toMatchObject(point);
    expect(r.json()).toHaveProperty('openingHours');
    const missing = await get('/points/999999999');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'collection point not found' });
  });

  it('counts points per category', async () => {
    const r = await get('/categories');
    const counts = Object.fromEntries(
      r.json<{ category: string; points: number }[]>().map((c) => [c.category, c.points]),
    );
    expect(counts.battery).toBe(points.filter((p) => p.categories.includes('battery')).length);
    expect(Object.keys(counts)).toHaveLength(6);
  });
});

describe('importing points', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let svc: BuiltService;
  const dir = mkdtempSync(join(tmpdir(), 'location-import-'));
  const csv = [
    'id,name,categories,address,lat,lng,opening_hours',
    'a-1,"Mapo ""Green"" station",recycling;clothing,"서울 마포구 1, 2층",37.5663,126.9019,24h',
    'a-2,Battery box,battery,,37.5700,126.9800,Mon-Fri 09:00-18:00',
    'a-3,Lamp drop-off,lamp|battery,Somewhere,37.55,127.0,',
  ].join('\r\n');

  beforeAll(async () => {
    db = await createTestDatabase('location_import');
    svc = await buildService(locationService, { env: { LOG_LEVEL: 'silent', DATABASE_URL: db.url } });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    await svc?.close();
    await pool?.end();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const count = async () =>
    Number((await pool.query('SELECT count(*) FROM collection_points')).rows[0].count);

  it('parses CSV with quotes, CRLF and both category separators', () => {
    const pts = parseCsv(csv);
    expect(pts).toHaveLength(3);
    expect(pts[0]).toMatchObject({
      name: 'Mapo "Green" station',
      address: '서울 마포구 1, 2층',
      categories: ['recycling', 'clothing'],
    });
    expect(pts[2]!.categories).toEqual(['lamp', 'battery']);
  });

  it('is idempotent: a re-import changes nothing, an edit updates in place', async () => {
    expect(await importPoints(pool, parseCsv(csv))).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    const before = (await pool.query('SELECT id, source_id, updated_at FROM collection_points ORDER BY id'))
      .rows;
    expect(await importPoints(pool, parseCsv(csv))).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
    expect(
      (await pool.query('SELECT id, source_id, updated_at FROM collection_points ORDER BY id')).rows,
    ).toEqual(before);
    const edited = csv.replace('Battery box', 'Battery box (moved)').replace('37.5700', '37.5710');
    expect(await importPoints(pool, parseCsv(edited))).toEqual({ inserted: 0, updated: 1, unchanged: 2 });
    const row = (await pool.query("SELECT id, name, lat FROM collection_points WHERE source_id = 'a-2'"))
      .rows[0];
    expect(row).toEqual({ id: before[1].id, name: 'Battery box (moved)', lat: 37.571 });
    expect(await count()).toBe(3);
  });

  it('rejects a bad file as a whole, naming each problem, and changes nothing', async () => {
    const n = await count();
    const bad = [
      'id,name,categories,lat,lng',
      'b-1,Ok,recycling,37.5,127',
      'b-2,Bad lat,recycling,97,127',
      'b-3,,battery,37.5,127',
      'b-4,Unknown,plutonium,37.5,127',
      'b-1,Duplicate,recycling,37.5,127',
    ].join('\n');
    let err: unknown;
    try {
      parseCsv(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportError);
    const msgs = (err as ImportError).problems.map((p) => `${p.at}: ${p.msg}`);
    expect(msgs).toEqual([
      'line 3: lat must be a number between -90 and 90, got "97"',
      'line 4: name is required',
      'line 5: unknown category "plutonium" (known: recycling, clothing, battery, lamp, e-waste, large-item)',
      'line 6: duplicate id "b-1"',
    ]);
    expect(() => parseCsv('name,lat\nx,1')).toThrow(/header lacks id, categories, lng/);
    expect(() => parseGeoJson('{"type":"Feature"}')).toThrow(/FeatureCollection/);
    expect(() =>
      parseGeoJson(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [{ type: 'Feature', geometry: { type: 'LineString', coordinates: [] } }],
        }),
      ),
    ).toThrow(/feature 0: expected a Feature with Point geometry/);
    expect(await count()).toBe(n);
  });

  it('imports through the command, from GeoJSON, twice with the same result', () => {
    const file = join(dir, 'points.geojson');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            id: 'g-1',
            geometry: { type: 'Point', coordinates: [127.05, 37.51] },
            properties: { name: 'E-waste box', categories: ['e-waste'] },
          },
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [127.1, 37.52] },
            properties: {
              id: 'g-2',
              name: 'Large items',
              categories: ['large-item'],
              opening_hours: 'Sat 09:00-12:00',
            },
          },
        ],
      }),
    );
    const run = (f: string) =>
      spawnSync(
        process.execPath,
        ['--conditions=development', '--import', 'tsx', join(__dirname, '..', 'src', 'import-cli.ts'), f],
        {
          env: { ...process.env, DATABASE_URL: db.url, NODE_OPTIONS: '', INIT_CWD: dir },
          encoding: 'utf8',
        },
      );
    const first = run('points.geojson');
    expect([first.status, first.stdout.trim()]).toEqual([
      0,
      'import: 2 points from points.geojson: 2 inserted, 0 updated, 0 unchanged',
    ]);
    const again = run('points.geojson');
    expect(again.stdout.trim()).toBe(
      'import: 2 points from points.geojson: 0 inserted, 0 updated, 2 unchanged',
    );
    const missing = run('nope.csv');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read nope\.csv/);
  });

  it('pages through points at identical coordinates without skipping or repeating', async () => {
    const same = ['t-1', 't-2', 't-3', 't-4'].map((id) => ({
      sourceId: id,
      name: `Tie ${id}`,
      categories: ['battery' as const],
      address: '',
      lat: 37.6,
      lng: 127.2,
      openingHours: '',
    }));
    await importPoints(pool, same);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await svc.app.inject({
        url: `/api/v1/location/nearby?lat=37.6001&lng=127.2&radius=100&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const page: Page = r.json();
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen).toHaveLength(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('ships a Seoul sample that loads at start when asked', async () => {
    const fresh = await createTestDatabase('location_seed');
    try {
      const seeded = await buildService(locationService, {
        env: { LOG_LEVEL: 'silent', DATABASE_URL: fresh.url, LOCATION_SEED_SAMPLE: 'true' },
      });
      try {
        const r = await seeded.app.inject({
          url: '/api/v1/location/nearby?lat=37.4979&lng=127.0276&radius=3000&limit=5',
        });
        expect(r.json<Page>().items).toHaveLength(5);
        const { rows } = await seeded.ctx.pg!.query(
          'SELECT count(*)::int AS n, min(lat) AS s, max(lat) AS n2 FROM collection_points',
        );
        expect(rows[0].n).toBe(parseGeoJson(readFileSync(SAMPLE_DATA_FILE, 'utf8')).length);
        expect(rows[0].s).toBeGreaterThan(37.4);
        expect(rows[0].n2).toBeLessThan(37.72);
      } finally {
        await seeded.close();
      }
    } finally {
      await fresh.drop();
    }
  });
});
