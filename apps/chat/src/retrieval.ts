/**
 * Retrieval over the info service's guidance (its `categories`, `materials` and `disposal_steps`
 * tables, read-only): PostgreSQL full-text search picks the best matching material or category,
 * and the answer is composed from that category's disposal steps, citing its sources.
 */
import type pg from 'pg';

export type Lang = 'en' | 'ko';

export interface Source {
  readonly type: 'material' | 'category';
  readonly slug: string;
  readonly title: string;
  /** The category whose steps apply. */
  readonly category: string;
  /** Where the info service serves it. */
  readonly url: string;
}

export interface Guidance {
  readonly lang: Lang;
  /** Best match first; empty when nothing matched. */
  readonly sources: readonly Source[];
  /** The best match's category with its steps, when something matched. */
  readonly primary?: {
    readonly item: {
      readonly type: 'material' | 'category';
      readonly slug: string;
      readonly name: string;
      readonly note: string;
    };
    readonly category: { readonly slug: string; readonly name: string; readonly summary: string };
    readonly steps: readonly string[];
  };
  /** Other matches in other categories, for "see also". */
  readonly related: readonly { readonly name: string; readonly category: string }[];
}

const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/;
/** Korean particles and endings stripped from a word's end so "건전지는" also finds "건전지". */
const PARTICLES = [
  '에서는',
  '으로는',
  '이에요',
  '에서',
  '으로',
  '이랑',
  '하고',
  '까지',
  '부터',
  '은',
  '는',
  '이',
  '가',
  '을',
  '를',
  '에',
  '의',
  '도',
  '로',
  '와',
  '과',
  '랑',
  '만',
];

export const detectLang = (text: string): Lang => (HANGUL.test(text) ? 'ko' : 'en');

/**
 * Builds the two tsquery texts: English words for the English stemmer, Korean words (and their
 * stems, as prefixes) for the 'simple' configuration. Only letters and digits
 * reach to_tsquery, so user input can never inject tsquery operators.
 */
export function buildQueries(text: string): { english: string; simple: string } {
  const words = (text.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 40);
  const english = new Set<string>();
  const simple = new Set<string>();
  for (const raw of words) {
    const w = raw.toLowerCase();
    if (HANGUL.test(w)) {
      // Korean attaches particles and endings to the word ("소주병은요", "건전지는"): search the
      // word, its particle-stripped stem and the word less one or two syllables, all as prefixes.
      const p = PARTICLES.find((s) => w.endsWith(s) && w.length - s.length >= 2);
      for (const stem of [w, p ? w.slice(0, -p.length) : '', w.slice(0, -1), w.slice(0, -2)]) {
        if ([...stem].length >= 2) simple.add(`${stem}:*`);
      }
    } else if (/^[a-z0-9]+$/.test(w) && w.length <= 40) {
      english.add(w);
    }
  }
  return { english: [...english].join(' | '), simple: [...simple].join(' | ') };
}

const infoUrl = (category: string) => `/api/v1/info/categories/${category}`;

interface Hit {
  type: 'material' | 'category';
  slug: string;
  name_en: string;
  name_ko: string;
  note_en: string;
  note_ko: string;
  category_id: number;
  category_slug: string;
  category_en: string;
  category_ko: string;
  summary_en: string;
  summary_ko: string;
}

/** Finds the guidance for a question. */
export async function retrieve(pool: pg.Pool, question: string, lang: Lang): Promise<Guidance> {
  const { english, simple } = buildQueries(question);
  if (!english && !simple) return { lang, sources: [], related: [] };
  const { rows } = await pool.query<Hit>(
    `WITH q AS (
       SELECT (CASE WHEN $1 = '' THEN ''::tsquery ELSE to_tsquery('english', $1) END) ||
              (CASE WHEN $2 = '' THEN ''::tsquery ELSE to_tsquery('simple', $2) END) AS query
     ), hits AS (
       SELECT 'material' AS type, m.slug, m.name_en, m.name_ko, m.note_en, m.note_ko, m.category_id,
              ts_rank(m.search, q.query) AS rank
         FROM materials m, q WHERE m.search @@ q.query
       UNION ALL
       SELECT 'category', c.slug, c.name_en, c.name_ko, '', '', c.id, ts_rank(c.search, q.query)
         FROM categories c, q WHERE c.search @@ q.query
     )
     SELECT h.type, h.slug, h.name_en, h.name_ko, h.note_en, h.note_ko, h.category_id,
            c.slug AS category_slug, c.name_en AS category_en, c.name_ko AS category_ko,
            c.summary_en, c.summary_ko
       FROM hits h JOIN categories c ON c.id = h.category_id
      ORDER BY h.rank DESC, h.type DESC, h.slug
      LIMIT 6`,
    [english, simple],
  );
  const top = rows[0];
  if (!top) return { lang, sources: [], related: [] };
  const { rows: steps } = await pool.query<{ text_en: string; text_ko: string }>(
    'SELECT text_en, text_ko FROM disposal_steps WHERE category_id = $1 ORDER BY position',
    [top.category_id],
  );
  const pick = (en: string, ko: string) => (lang === 'ko' ? ko || en : en || ko);
  const sources: Source[] = [];
  if (top.type === 'material') {
    sources.push({
      type: 'material',
      slug: top.slug,
      title: pick(top.name_en, top.name_ko),
      category: top.category_slug,
      url: infoUrl(top.category_slug),
    });
  }
  sources.push({
    type: 'category',
    slug: top.category_slug,
    title: pick(top.category_en, top.category_ko),
    category: top.category_slug,
    url: infoUrl(top.category_slug),
  });
  const related: { name: string; category: string }[] = [];
  const seen = new Set([top.category_slug]);
  for (const r of rows.slice(1)) {
    if (seen.has(r.category_slug) || related.length >= 2) continue;
    seen.add(r.category_slug);
    related.push({ name: pick(r.name_en, r.name_ko), category: pick(r.category_en, r.category_ko) });
  }
  return {
    lang,
    sources,
    related,
    primary: {
      item: {
        type: top.type,
        slug: top.slug,
        name: pick(top.name_en, top.name_ko),
        note: pick(top.note_en, top.note_ko),
      },
      category: {
        slug: top.category_slug,
        name: pick(top.category_en, top.category_ko),
        summary: pick(top.summary_en, top.summary_ko),
      },
      steps: steps.map((s) => pick(s.text_en, s.text_ko)),
    },
  };
}

/** The embedded answer: the matching steps and where they come from, in the asker's language. */
export function composeAnswer(g: Guidance): string {
  const ko = g.lang === 'ko';
  if (!g.primary) {
    return ko
      ? '해당하는 배출 안내를 찾지 못했습니다. 물건 이름으로 다시 물어봐 주세요 (예: 페트병, 건전지, 우유팩).'
      : "I couldn't find disposal guidance for that. Try naming the item, for example 'plastic bottle', 'battery' or 'milk carton'.";
  }
  const { item, category, steps } = g.primary;
  const lines: string[] = [];
  lines.push(
    item.type === 'material'
      ? ko
        ? `${item.name}: ${category.name}(으)로 배출합니다.`
        : `${item.name} goes with ${category.name}.`
      : `${category.name}: ${category.summary}`,
  );
  if (item.type === 'material' && item.note) lines.push(item.note);
  steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`));
  if (g.related.length) {
    lines.push(
      (ko ? '함께 보기: ' : 'See also: ') + g.related.map((r) => `${r.name} (${r.category})`).join(', '),
    );
  }
  lines.push((ko ? '출처: ' : 'Sources: ') + g.sources.map((s) => `${s.title} [${s.slug}]`).join(', '));
  return lines.join('\n');
}

/** The guidance as the LLM's grounding: every fact it may use, each tagged with its source id. */
export function groundingText(g: Guidance): string {
  if (!g.primary) return '(no matching guidance was found)';
  const { item, category, steps } = g.primary;
  const out: string[] = [];
  if (item.type === 'material') {
    out.push(
      `[${item.slug}] ${item.name} belongs to the category "${category.name}".${item.note ? ` ${item.note}` : ''}`,
    );
  }
  out.push(`[${category.slug}] ${category.name}: ${category.summary}`);
  steps.forEach((s, i) => out.push(`[${category.slug}] step ${i + 1}: ${s}`));
  for (const r of g.related) out.push(`(related) ${r.name} belongs to "${r.category}".`);
  return out.join('\n');
}
