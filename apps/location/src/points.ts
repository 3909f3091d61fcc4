/** Collection points: their categories, validation, and the importer's parsers and upsert. */
import { withTransaction } from '@hybrid/service-kit';
import type pg from 'pg';

export const CATEGORIES = ['recycling', 'clothing', 'battery', 'lamp', 'e-waste', 'large-item'] as const;
export type Category = (typeof CATEGORIES)[number];
const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);

export interface PointInput {
  readonly sourceId: string;
  readonly name: string;
  readonly categories: readonly Category[];
  readonly address: string;
  readonly lat: number;
  readonly lng: number;
  readonly openingHours: string;
}

export interface RowProblem {
  /** 1-based line (CSV) or feature index (GeoJSON). */
  readonly at: string;
  readonly msg: string;
}

export class ImportError extends Error {
  constructor(readonly problems: readonly RowProblem[]) {
    super(
      `import rejected, nothing was changed:\n${problems
        .slice(0, 20)
        .map((p) => `  ${p.at}: ${p.msg}`)
        .join('\n')}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`,
    );
    this.name = 'ImportError';
  }
}

const MAX_TEXT = 200;

/** Checks one raw record and returns the point or the reasons it is bad. */
export function validatePoint(raw: {
  sourceId: unknown;
  name: unknown;
  categories: unknown;
  address: unknown;
  lat: unknown;
  lng: unknown;
  openingHours: unknown;
}): { point: PointInput } | { errors: string[] } {
  const errors: string[] = [];
  const text = (field: string, v: unknown, required: boolean, max = MAX_TEXT): string => {
    if (v === undefined || v === null || v === '') {
      if (required) errors.push(`${field} is required`);
      return '';
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      errors.push(`${field} must be text`);
      return '';
    }
    const s = String(v).trim();
    if (required && !s) errors.push(`${field} is required`);
    if (s.length > max) errors.push(`${field} is longer than ${max} characters`);
    return s;
  };
  const num = (field: string, v: unknown, min: number, max: number): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      errors.push(`${field} must be a number between ${min} and ${max}, got ${JSON.stringify(v ?? null)}`);
    }
    return n;
  };
  const sourceId = text('id', raw.sourceId, true);
  const name = text('name', raw.name, true);
  const address = text('address', raw.address, false, 500);
  const openingHours = text('opening_hours', raw.openingHours, false);
  const lat = num('lat', raw.lat, -90, 90);
  const lng = num('lng', raw.lng, -180, 180);
  let cats: string[] = [];
  if (Array.isArray(raw.categories)) cats = raw.categories.map((c) => String(c).trim());
  else if (typeof raw.categories === 'string') cats = raw.categories.split(/[;|]/).map((c) => c.trim());
  cats = [...new Set(cats.filter(Boolean))];
  if (!cats.length) errors.push('categories is required');
  for (const c of cats) {
    if (!CATEGORY_SET.has(c)) errors.push(`unknown category "${c}" (known: ${CATEGORIES.join(', ')})`);
  }
  if (errors.length) return { errors };
  return {
    point: { sourceId, name, categories: cats as Category[], address, lat, lng, openingHours },
  };
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows with their 1-based line. */
export function parseCsvRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (quoted) throw new ImportError([{ at: `line ${rowLine}`, msg: 'unterminated quoted field' }]);
  if (cell !== '' || cells.length) endRow();
  return rows;
}

const CSV_COLUMNS = ['id', 'name', 'categories', 'address', 'lat', 'lng', 'opening_hours'] as const;

/** CSV with a header naming at least id, name, categories (`;`-separated), lat, lng. */
export function parseCsv(text: string): PointInput[] {
  const rows = parseCsvRows(text);
  const header = rows.shift();
  if (!header) throw new ImportError([{ at: 'line 1', msg: 'empty file: expected a header row' }]);
  const cols = header.cells.map((c) => c.trim().toLowerCase());
  const missing = ['id', 'name', 'categories', 'lat', 'lng'].filter((c) => !cols.includes(c));
  if (missing.length) {
    throw new ImportError([
      { at: 'line 1', msg: `header lacks ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(', ')})` },
    ]);
  }
  const idx = (c: string) => cols.indexOf(c);
  const get = (cells: string[], c: string) => (idx(c) >= 0 ? cells[idx(c)] : undefined);
  const problems: RowProblem[] = [];
  const points: { at: string; point: PointInput }[] = [];
  for (const { line, cells } of rows) {
    if (cells.length !== cols.length) {
      problems.push({ at: `line ${line}`, msg: `expected ${cols.length} fields, found ${cells.length}` });
      continue;
    }
    const r = validatePoint({
      sourceId: get(cells, 'id'),
      name: get(cells, 'name'),
      categories: get(cells, 'categories'),
      address: get(cells, 'address'),
      lat: get(cells, 'lat'),
      lng: get(cells, 'lng'),
      openingHours: get(cells, 'opening_hours'),
    });
    if ('errors' in r) problems.push(...r.errors.map((msg) => ({ at: `line ${line}`, msg })));
    else points.push({ at: `line ${line}`, point: r.point });
  }
  return finish(points, problems);
}

/** A GeoJSON FeatureCollection of Point features; properties id (or the feature id), name, categories, address, opening_hours. */
export function parseGeoJson(text: string): PointInput[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportError([{ at: 'file', msg: `not valid JSON: ${(err as Error).message}` }]);
  }
  const fc = doc as { type?: unknown; features?: unknown };
  if (fc?.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new ImportError([{ at: 'file', msg: 'expected a GeoJSON FeatureCollection' }]);
  }
  const problems: RowProblem[] = [];
  const points: { at: string; point: PointInput }[] = [];
  fc.features.forEach((f: unknown, i: number) => {
    const at = `feature ${i}`;
    const feat = f as {
      type?: unknown;
      id?: unknown;
      geometry?: { type?: unknown; coordinates?: unknown };
      properties?: Record<string, unknown> | null;
    };
    if (
      feat?.type !== 'Feature' ||
      feat.geometry?.type !== 'Point' ||
      !Array.isArray(feat.geometry.coordinates)
    ) {
      problems.push({ at, msg: 'expected a Feature with Point geometry' });
      return;
    }
    const [lng, lat] = feat.geometry.coordinates as unknown[];
    const p = feat.properties ?? {};
    const r = validatePoint({
      sourceId: p.id ?? feat.id,
      name: p.name,
      categories: p.categories,
      address: p.address,
      lat,
      lng,
      openingHours: p.opening_hours ?? p.openingHours,
    });
    if ('errors' in r) problems.push(...r.errors.map((msg) => ({ at, msg })));
    else points.push({ at, point: r.point });
  });
  return finish(points, problems);
}

function finish(points: { at: string; point: PointInput }[], problems: RowProblem[]): PointInput[] {
  const seen = new Set<string>();
  for (const { at, point } of points) {
    if (seen.has(point.sourceId)) problems.push({ at, msg: `duplicate id "${point.sourceId}"` });
    seen.add(point.sourceId);
  }
  if (problems.length) throw new ImportError(problems);
  return points.map((p) => p.point);
}

/** Chooses the parser by file name (`.csv`, `.geojson`/`.json`). */
export function parsePointsFile(fileName: string, text: string): PointInput[] {
  if (/\.csv$/i.test(fileName)) return parseCsv(text);
  if (/\.(geo)?json$/i.test(fileName)) return parseGeoJson(text);
  throw new ImportError([
    { at: 'file', msg: `unknown file type "${fileName}": use .csv, .geojson or .json` },
  ]);
}

export interface ImportResult {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
}

/**
 * Upserts points by their source id in one transaction: a re-import of the same file changes
 * nothing, an edited row is updated in place (same public id), a failure leaves the table as it was.
 */
export async function importPoints(pool: pg.Pool, points: readonly PointInput[]): Promise<ImportResult> {
  let inserted = 0;
  let updated = 0;
  await withTransaction(pool, async (client) => {
    const BATCH = 1000;
    for (let i = 0; i < points.length; i += BATCH) {
      const batch = points.slice(i, i + BATCH);
      const { rows } = await client.query<{ inserted: boolean }>(
        `INSERT INTO collection_points AS p (source_id, name, categories, address, lat, lng, opening_hours)
         SELECT t.source_id, t.name, string_to_array(t.cats, ','), t.address, t.lat, t.lng, t.opening_hours
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::text[])
             AS t(source_id, name, cats, address, lat, lng, opening_hours)
         ON CONFLICT (source_id) DO UPDATE SET
           name = EXCLUDED.name, categories = EXCLUDED.categories, address = EXCLUDED.address,
           lat = EXCLUDED.lat, lng = EXCLUDED.lng, opening_hours = EXCLUDED.opening_hours, updated_at = now()
         WHERE (p.name, p.categories, p.address, p.lat, p.lng, p.opening_hours)
           IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.categories, EXCLUDED.address, EXCLUDED.lat, EXCLUDED.lng, EXCLUDED.opening_hours)
         RETURNING (xmax = 0) AS inserted`,
        [
          batch.map((p) => p.sourceId),
          batch.map((p) => p.name),
          batch.map((p) => p.categories.join(',')),
          batch.map((p) => p.address),
          batch.map((p) => p.lat),
          batch.map((p) => p.lng),
          batch.map((p) => p.openingHours),
        ],
      );
      for (const r of rows) {
        if (r.inserted) inserted++;
        else updated++;
      }
    }
  });
  return { inserted, updated, unchanged: points.length - inserted - updated };
}
