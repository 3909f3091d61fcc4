import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  ErrorResponse,
  notFound,
  UnprocessableError,
  ValidationErrorResponse,
  type ServiceContext,
  type ServiceDefinition,
} from '@hybrid/service-kit';
import { Type, type Static } from '@hybrid/service-kit/schema';
import type pg from 'pg';
import { CATEGORIES, importPoints, parseGeoJson } from './points';

export const SAMPLE_DATA_FILE = join(__dirname, '..', 'data', 'seoul-sample.geojson');

export const MAX_RADIUS_M = 50_000;
export const DEFAULT_RADIUS_M = 2_000;
export const MAX_LIMIT = 100;

const Category = Type.Union(
  CATEGORIES.map((c) => Type.Literal(c)),
  { description: 'Kind of drop-off.' },
);

export const Point = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  categories: Type.Array(Category),
  address: Type.String(),
  lat: Type.Number(),
  lng: Type.Number(),
  openingHours: Type.String(),
});
export const NearbyPoint = Type.Object({
  ...Point.properties,
  distanceM: Type.Number({ description: 'Great-circle distance from the query point, in metres.' }),
});
export const NearbyResponse = Type.Object({
  items: Type.Array(NearbyPoint),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `cursor` with the same lat, lng, radius and category for the next page.',
  }),
});

const NearbyQuery = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude, WGS84 degrees.' }),
    lng: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude, WGS84 degrees.' }),
    radius: Type.Integer({
      minimum: 1,
      maximum: MAX_RADIUS_M,
      default: DEFAULT_RADIUS_M,
      description: 'Search radius in metres.',
    }),
    category: Type.Optional(Category),
    limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
type NearbyQuery = Static<typeof NearbyQuery>;

interface PointRow {
  id: string;
  name: string;
  categories: string[];
  address: string;
  lat: number;
  lng: number;
  opening_hours: string;
}
const toPoint = (r: PointRow) => ({
  id: Number(r.id),
  name: r.name,
  categories: r.categories as Static<typeof Category>[],
  address: r.address,
  lat: r.lat,
  lng: r.lng,
  openingHours: r.opening_hours,
});

/** A cursor is the last row's exact chord distance and id, bound to the query it continues. */
interface Cursor {
  d: number;
  i: number;
  q: string;
}
const queryKey = (q: NearbyQuery) =>
  createHash('sha256')
    .update(JSON.stringify([q.lat, q.lng, q.radius, q.category ?? null]))
    .digest('base64url')
    .slice(0, 16);
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(raw: string, q: NearbyQuery): Cursor {
  const bad = (msg: string) =>
    new UnprocessableError([{ loc: ['query', 'cursor'], msg, type: 'value_error' }]);
  let c: Partial<Cursor>;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw bad('Invalid cursor');
  }
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.d !== 'number' ||
    !Number.isFinite(c.d) ||
    c.d < 0 ||
    !Number.isSafeInteger(c.i) ||
    typeof c.q !== 'string'
  ) {
    throw bad('Invalid cursor');
  }
  if (c.q !== queryKey(q))
    throw bad('Cursor belongs to another query (lat, lng, radius or category changed)');
  return c as Cursor;
}

const COLUMNS = 'p.id, p.name, p.categories, p.address, p.lat, p.lng, p.opening_hours';

/**
 * Points within `radius` metres, nearest first (see the `nearby_points` function in the
 * migration): `earth_box` bounds the GiST index scan, the index returns points in distance order,
 * the exact great-circle distance trims the box's corners. Ties are broken by id so pages never
 * overlap or skip; the cursor carries the last row's chord distance and id.
 */
export async function nearby(pool: pg.Pool, q: NearbyQuery) {
  const after = q.cursor ? decodeCursor(q.cursor, q) : undefined;
  const { rows } = await pool.query<PointRow & { chord: number; distance: number }>(
    'SELECT * FROM nearby_points($1, $2, $3, $4, $5, $6, $7)',
    [q.lat, q.lng, q.radius, q.category ?? null, after?.d ?? null, after?.i ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({ ...toPoint(r), distanceM: Math.round(r.distance * 100) / 100 })),
    nextCursor:
      rows.length > q.limit && last
        ? encodeCursor({ d: last.chord, i: Number(last.id), q: queryKey(q) })
        : null,
  };
}

/** Loads the shipped Seoul sample when the table is empty (LOCATION_SEED_SAMPLE=true). */
export async function seedSample(ctx: ServiceContext): Promise<void> {
  const pool = ctx.pg!;
  const { rows } = await pool.query<{ any: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM collection_points) AS any',
  );
  if (rows[0]?.any) return;
  const points = parseGeoJson(await readFile(SAMPLE_DATA_FILE, 'utf8'));
  const result = await importPoints(pool, points);
  ctx.log.info({ ...result, file: 'data/seoul-sample.geojson' }, 'loaded the sample collection points');
}

export const locationService: ServiceDefinition = {
  workload: 'location',
  migrationsDir: join(__dirname, '..', 'migrations'),
  start: async (ctx) => {
    if (ctx.config.bool('LOCATION_SEED_SAMPLE') && ctx.pg) await seedSample(ctx);
  },
  routes: (app, ctx) => {
    const pool = () => {
      if (!ctx.pg) throw new Error('DATABASE_URL is not configured');
      return ctx.pg;
    };
    app.get(
      '/nearby',
      {
        schema: {
          summary: 'Collection points near a place, nearest first',
          querystring: NearbyQuery,
          response: { 200: NearbyResponse, 422: ValidationErrorResponse },
        },
      },
      async (req) => nearby(pool(), req.query as NearbyQuery),
    );
    app.get(
      '/points/:id',
      {
        schema: {
          summary: 'One collection point',
          params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
          response: { 200: Point, 404: ErrorResponse, 422: ValidationErrorResponse },
        },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        const { rows } = await pool().query<PointRow>(
          `SELECT ${COLUMNS} FROM collection_points p WHERE p.id = $1`,
          [id],
        );
        if (!rows[0]) throw notFound('collection point');
        return toPoint(rows[0]);
      },
    );
    app.get(
      '/categories',
      {
        schema: {
          summary: 'Categories of collection points with how many points each has',
          response: {
            200: Type.Array(Type.Object({ category: Category, points: Type.Integer() })),
          },
        },
      },
      async () => {
        const { rows } = await pool().query<{ category: string; points: number }>(
          `SELECT k.c AS category, coalesce(n.points, 0)::int AS points
             FROM unnest($1::text[]) WITH ORDINALITY AS k(c, pos)
             LEFT JOIN (SELECT c, count(*) AS points FROM collection_points, unnest(categories) AS c GROUP BY c) n
               ON n.c = k.c
            ORDER BY k.pos`,
          [CATEGORIES],
        );
        return rows as { category: Static<typeof Category>; points: number }[];
      },
    );
  },
};
