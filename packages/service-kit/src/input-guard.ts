import type { ValidationErrorItem } from './errors';

/**
 * Finds the first value in a request's parsed input that no service can store or use, even though
 * its schema let it through:
 * - a string (or object key) with a NUL character: PostgreSQL's `text` and `jsonb` refuse it, so it
 *   would surface as a 500 from the query instead of a 422;
 * - a number that is not finite: the schema's type coercion turns the strings `Infinity` and
 *   `-Infinity` into numbers, which pass `integer` and skip `minimum`/`maximum`.
 *
 * Walks with an explicit stack (a deeply nested body cannot exhaust the call stack) and visits only
 * arrays and plain objects (a raw `Buffer` or stream body is left alone).
 */
export function findUnusableInput(where: string, input: unknown): ValidationErrorItem | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: input, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return nul([where, ...path]);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        return { loc: [where, ...path], msg: 'Input should be a finite number', type: 'finite_number' };
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === 'object') {
      // Plain objects, and dictionaries with a bare prototype (the query string parser's).
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto !== Object.prototype && proto !== null && Object.getPrototypeOf(proto) !== null) continue;
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        if (k.includes('\u0000')) return nul([where, ...path]);
        stack.push({ value: (value as Record<string, unknown>)[k], path: [...path, k] });
      }
    }
  }
  return undefined;
}

const nul = (loc: (string | number)[]): ValidationErrorItem => ({
  loc,
  msg: 'String should not contain NUL characters',
  type: 'string_nul',
});
