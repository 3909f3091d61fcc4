import type pg from 'pg';
import type { CategoryDetail, CategorySummary, SearchResult } from './schemas';

const loc = (en: string, ko: string) => ({ en, ko });

/** Reads the waste guide: categories, their disposal steps and materials, and full-text search. */
export class InfoRepository {
  constructor(private readonly db: pg.Pool) {}

  async categories(): Promise<CategorySummary[]> {
    const { rows } = await this.db.query<{
      slug: string;
      name_en: string;
      name_ko: string;
      summary_en: string;
      summary_ko: string;
      n: number;
    }>(
      `SELECT c.slug, c.name_en, c.name_ko, c.summary_en, c.summary_ko, count(m.id)::int AS n
         FROM categories c LEFT JOIN materials m ON m.category_id = c.id
        GROUP BY c.id ORDER BY c.position, c.slug`,
    );
    return rows.map((r) => ({
      slug: r.slug,
      name: loc(r.name_en, r.name_ko),
      summary: loc(r.summary_en, r.summary_ko),
      materialCount: r.n,
    }));
  }

  async category(slug: string): Promise<CategoryDetail | undefined> {
    const { rows } = await this.db.query<{
      id: number;
      slug: string;
      name_en: string;
      name_ko: string;
      summary_en: string;
      summary_ko: string;
    }>('SELECT id, slug, name_en, name_ko, summary_en, summary_ko FROM categories WHERE slug = $1', [slug]);
    const c = rows[0];
    if (!c) return undefined;
    const [steps, materials] = await Promise.all([
      this.db.query<{ position: number; text_en: string; text_ko: string }>(
        'SELECT position, text_en, text_ko FROM disposal_steps WHERE category_id = $1 ORDER BY position',
        [c.id],
      ),
      this.db.query<{ slug: string; name_en: string; name_ko: string; note_en: string; note_ko: string }>(
        'SELECT slug, name_en, name_ko, note_en, note_ko FROM materials WHERE category_id = $1 ORDER BY name_en',
        [c.id],
      ),
    ]);
    return {
      slug: c.slug,
      name: loc(c.name_en, c.name_ko),
      summary: loc(c.summary_en, c.summary_ko),
      steps: steps.rows.map((s) => ({ position: s.position, text: loc(s.text_en, s.text_ko) })),
      materials: materials.rows.map((m) => ({
        slug: m.slug,
        name: loc(m.name_en, m.name_ko),
        note: loc(m.note_en, m.note_ko),
      })),
    };
  }

  /**
   * Ranked full-text search over categories and materials. The query is parsed twice, with the
   * English stemmer and with the 'simple' configuration (Korean words), and either may match.
   */
  async search(q: string, limit: number, offset: number): Promise<SearchResult> {
    const { rows } = await this.db.query<{
      type: 'category' | 'material';
      slug: string;
      name_en: string;
      name_ko: string;
      category: string;
      rank: number;
      total: number;
    }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $1) || websearch_to_tsquery('simple', $1) AS query),
       hits AS (
         SELECT 'category' AS type, c.slug, c.name_en, c.name_ko, c.slug AS category, ts_rank(c.search, q.query) AS rank
           FROM categories c, q WHERE c.search @@ q.query
         UNION ALL
         SELECT 'material', m.slug, m.name_en, m.name_ko, c.slug, ts_rank(m.search, q.query)
           FROM materials m JOIN categories c ON c.id = m.category_id, q WHERE m.search @@ q.query
       )
       SELECT type, slug, name_en, name_ko, category, rank::float8 AS rank, count(*) OVER ()::int AS total
         FROM hits ORDER BY rank DESC, type, slug LIMIT $2 OFFSET $3`,
      [q, limit, offset],
    );
    let total = rows[0]?.total ?? 0;
    if (!rows.length && offset > 0) {
      const c = await this.db.query<{ n: number }>(
        `WITH q AS (SELECT websearch_to_tsquery('english', $1) || websearch_to_tsquery('simple', $1) AS query)
         SELECT ((SELECT count(*) FROM categories, q WHERE search @@ q.query) + (SELECT count(*) FROM materials, q WHERE search @@ q.query))::int AS n`,
        [q],
      );
      total = c.rows[0]?.n ?? 0;
    }
    return {
      query: q,
      total,
      limit,
      offset,
      items: rows.map((r) => ({
        type: r.type,
        slug: r.slug,
        name: loc(r.name_en, r.name_ko),
        category: r.category,
        rank: Number(r.rank.toFixed(6)),
      })),
    };
  }
}
