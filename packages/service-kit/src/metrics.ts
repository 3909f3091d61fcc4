import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A per-app registry (so several apps can live in one process, as in tests). */
export function createMetrics(service: string): {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
} {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpDuration };
}

export function installMetrics(
  app: FastifyInstance,
  registry: Registry,
  httpDuration: Histogram<'method' | 'route' | 'status_code'>,
): void {
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, not the raw URL, keeps the label set bounded.
    const route = req.routeOptions.url ?? 'unmatched';
    httpDuration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
