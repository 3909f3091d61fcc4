import { Type, type Static } from '@hybrid/service-kit/schema';

export const Localized = Type.Object({ en: Type.String(), ko: Type.String() });
export const Slug = Type.String({
  pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
  maxLength: 64,
  description: 'kebab-case identifier',
});

export const CategorySummary = Type.Object({
  slug: Type.String(),
  name: Localized,
  summary: Localized,
  materialCount: Type.Integer(),
});
export const Material = Type.Object({ slug: Type.String(), name: Localized, note: Localized });
export const Step = Type.Object({ position: Type.Integer(), text: Localized });
export const CategoryDetail = Type.Object({
  slug: Type.String(),
  name: Localized,
  summary: Localized,
  steps: Type.Array(Step),
  materials: Type.Array(Material),
});
export const SearchHit = Type.Object({
  type: Type.Union([Type.Literal('category'), Type.Literal('material')]),
  slug: Type.String(),
  name: Localized,
  category: Type.String({ description: 'slug of the category that says how to dispose of it' }),
  rank: Type.Number(),
});
export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 100, description: 'words in English or Korean' }),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
  offset: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
});
export const SearchResult = Type.Object({
  query: Type.String(),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  items: Type.Array(SearchHit),
});

export type CategorySummary = Static<typeof CategorySummary>;
export type CategoryDetail = Static<typeof CategoryDetail>;
export type SearchResult = Static<typeof SearchResult>;
