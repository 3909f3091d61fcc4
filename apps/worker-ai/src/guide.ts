import type { DisposalStep, NamedRef } from '@hybrid/queue';
import type pg from 'pg';

export interface CategoryInfo {
  readonly slug: string;
  readonly name: string;
  readonly summary: string;
  readonly materials: readonly NamedRef[];
  readonly steps: readonly DisposalStep[];
}

/**
 * Disposal knowledge the classifier needs: the categories (with their materials) and each
 * category's disposal steps. It is the info service's data; this reads the info database.
 */
export interface DisposalGuide {
  categories(): Promise<readonly CategoryInfo[]>;
}

/**
 * Reads the info service's tables (`categories`, `materials`, `disposal_steps`) read-only, and keeps
 * them for `ttlMs` (they change rarely and are small).
 */
export class InfoDatabaseGuide implements DisposalGuide {
  private cached: { at: number; value: Promise<readonly CategoryInfo[]> } | undefined;

  constructor(
    private readonly db: pg.Pool,
    private readonly ttlMs = 60_000,
  ) {}

  categories(): Promise<readonly CategoryInfo[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.ttlMs) {
      const value = this.load();
      this.cached = { at: now, value };
      // A failed read is not cached.
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  private async load(): Promise<readonly CategoryInfo[]> {
    const [cats, mats, steps] = await Promise.all([
      this.db.query<{ id: number; slug: string; name_en: string; summary_en: string }>(
        'SELECT id, slug, name_en, summary_en FROM categories ORDER BY position, id',
      ),
      this.db.query<{ category_id: number; slug: string; name_en: string }>(
        'SELECT category_id, slug, name_en FROM materials ORDER BY id',
      ),
      this.db.query<{ category_id: number; position: number; text_en: string; text_ko: string }>(
        'SELECT category_id, position, text_en, text_ko FROM disposal_steps ORDER BY category_id, position',
      ),
    ]);
    return cats.rows.map((c) => ({
      slug: c.slug,
      name: c.name_en,
      summary: c.summary_en,
      materials: mats.rows
        .filter((m) => m.category_id === c.id)
        .map((m) => ({ slug: m.slug, name: m.name_en })),
      steps: steps.rows
        .filter((s) => s.category_id === c.id)
        .map((s) => ({ position: s.position, text: s.text_en, textKo: s.text_ko })),
    }));
  }
}
