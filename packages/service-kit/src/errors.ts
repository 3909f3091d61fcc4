import type { FastifyError, FastifyInstance } from 'fastify';
import { Json } from './json-schema';
/** FastAPI's error bodies: `{"detail": "..."}` and, for validation, a list of located errors. */
export const ErrorResponse = Json.object({ detail: Json.string });
export const ValidationErrorItem = Json.object({
  loc: Json.array({ anyOf: [Json.string, Json.integer] }),
  msg: Json.string,
  type: Json.string,
});
export const ValidationErrorResponse = Json.object({ detail: Json.array(ValidationErrorItem) });
export interface ValidationErrorItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** An error a handler throws for the client: its status and a `detail` message. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}
export const notFound = (what: string) => new HttpError(404, `${what} not found`);

/** A 422 with explicit locations, for checks a schema cannot express. */
export class UnprocessableError extends Error {
  readonly statusCode = 422;
  constructor(readonly items: ValidationErrorItem[]) {
    super(items.map((i) => i.msg).join('; '));
  }
}

const LOC: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };
const TYPE: Record<string, string> = {
  required: 'missing',
  minLength: 'string_too_short',
  maxLength: 'string_too_long',
  minimum: 'greater_than_equal',
  maximum: 'less_than_equal',
  exclusiveMinimum: 'greater_than',
  exclusiveMaximum: 'less_than',
  pattern: 'string_pattern_mismatch',
  enum: 'enum',
  const: 'literal_error',
  format: 'value_error',
  additionalProperties: 'extra_forbidden',
  minItems: 'too_short',
  maxItems: 'too_long',
  anyOf: 'union_error',
};

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Maps fastify/ajv validation errors to FastAPI's `detail` items. */
export function toValidationItems(
  context: string | undefined,
  errors: readonly AjvLikeError[],
): ValidationErrorItem[] {
  const where = LOC[context ?? 'body'] ?? context ?? 'body';
  return errors.map((e) => {
    const path = (e.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string')
      path.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') {
      path.push(e.params.additionalProperty);
    }
    const keyword = e.keyword ?? 'value_error';
    const type =
      TYPE[keyword] ?? (keyword === 'type' ? `${String(e.params?.type ?? 'value')}_type` : keyword);
    const msg =
      e.keyword === 'required'
        ? 'Field required'
        : e.keyword === 'additionalProperties'
          ? 'Extra inputs are not permitted'
          : (e.message ?? 'Invalid value');
    return { loc: [where, ...path], msg, type };
  });
}

/** Socket errors that mean a dependency could not be reached (not that the request was wrong). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Whether a handler's error is a dependency being down: a socket error of its own, or as the cause
 * of another (`fetch` wraps it in "fetch failed"). Such a request may succeed when retried, so it
 * is a 503 with Retry-After rather than a 500.
 */
export function dependencyDown(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.some((x) => dependencyDown(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Installs FastAPI-compatible error and not-found handlers. 5xx bodies never carry internals. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(
    (
      err: FastifyError & {
        items?: ValidationErrorItem[];
        detail?: string;
        headers?: Record<string, string>;
      },
      req,
      reply,
    ) => {
      if (err.validation) {
        return reply
          .code(422)
          .send({ detail: toValidationItems(err.validationContext, err.validation as AjvLikeError[]) });
      }
      if (err instanceof UnprocessableError) return reply.code(422).send({ detail: err.items });
      if (
        err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
        err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
        (err instanceof SyntaxError && err.statusCode === 400)
      ) {
        return reply
          .code(422)
          .send({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
      }
      if (err instanceof HttpError) {
        return reply.code(err.statusCode).headers(err.headers).send({ detail: err.detail });
      }
      if (dependencyDown(err)) {
        req.log.error({ err }, 'request failed: a dependency is unreachable');
        return reply.code(503).header('retry-after', '5').send({ detail: 'Service Unavailable' });
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status >= 500) {
        req.log.error({ err }, 'request failed');
        return reply
          .code(status)
          .send({ detail: status === 503 ? 'Service Unavailable' : 'Internal Server Error' });
      }
      return reply.code(status).send({ detail: err.message });
    },
  );
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ detail: 'Not Found' }));
}
