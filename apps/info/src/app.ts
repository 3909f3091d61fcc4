import { join } from 'node:path';
import {
  ErrorResponse,
  HttpError,
  UnprocessableError,
  ValidationErrorResponse,
  type ServiceDefinition,
} from '@hybrid/service-kit';
import { Type } from '@hybrid/service-kit/schema';
import { InfoRepository } from './repository';
import { CategoryDetail, CategorySummary, SearchQuery, SearchResult, Slug } from './schemas';

/** The info service: waste categories, materials and disposal steps, with full-text search. */
export const infoService: ServiceDefinition = {
  workload: 'info',
  migrationsDir: join(__dirname, '..', 'migrations'),
  routes: (app, ctx) => {
    const repo = new InfoRepository(ctx.pg!);
    const errors = { 422: ValidationErrorResponse, 500: ErrorResponse };

    app.get(
      '/categories',
      {
        schema: {
          summary: 'List waste categories',
          tags: ['info'],
          response: { 200: Type.Object({ items: Type.Array(CategorySummary) }), 500: ErrorResponse },
        },
      },
      async () => ({ items: await repo.categories() }),
    );

    app.get(
      '/categories/:slug',
      {
        schema: {
          summary: 'A category with its disposal steps and materials',
          tags: ['info'],
          params: Type.Object({ slug: Slug }),
          response: { 200: CategoryDetail, 404: ErrorResponse, ...errors },
        },
      },
      async (req) => {
        const c = await repo.category(req.params.slug);
        if (!c) throw new HttpError(404, `category "${req.params.slug}" not found`);
        return c;
      },
    );

    app.get(
      '/search',
      {
        schema: {
          summary:
            'Full-text search over categories and materials (English and Korean), ranked and paginated',
          tags: ['info'],
          querystring: SearchQuery,
          response: { 200: SearchResult, ...errors },
        },
      },
      async (req) => {
        const q = req.query.q.trim();
        if (!q) {
          throw new UnprocessableError([
            {
              loc: ['query', 'q'],
              msg: 'String should have at least 1 non-space character',
              type: 'string_too_short',
            },
          ]);
        }
        return repo.search(q, req.query.limit, req.query.offset);
      },
    );
  },
};
