/**
 * A small runtime validator for the protocol's payloads: no dependencies, so the web client's
 * bundle stays small and the server validates exactly what the types say.
 */
export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };
export type Validator<T> = (input: unknown, path?: string) => Result<T>;

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (path: string, message: string): Result<never> => ({
  ok: false,
  message: `${path || 'payload'} ${message}`,
});

export const v = {
  string(opts: { min?: number; max?: number; pattern?: RegExp; trim?: boolean } = {}): Validator<string> {
    return (input, path = '') => {
      if (typeof input !== 'string') return fail(path, 'must be a string');
      const s = opts.trim ? input.trim() : input;
      const len = [...s].length;
      if (opts.min !== undefined && len < opts.min)
        return fail(path, `must be at least ${opts.min} characters`);
      if (opts.max !== undefined && len > opts.max)
        return fail(path, `must be at most ${opts.max} characters`);
      if (opts.pattern && !opts.pattern.test(s)) return fail(path, 'has an invalid format');
      return ok(s);
    };
  },
  number(opts: { min?: number; max?: number; int?: boolean } = {}): Validator<number> {
    return (input, path = '') => {
      if (typeof input !== 'number' || !Number.isFinite(input)) return fail(path, 'must be a finite number');
      if (opts.int && !Number.isInteger(input)) return fail(path, 'must be an integer');
      if (opts.min !== undefined && input < opts.min) return fail(path, `must be at least ${opts.min}`);
      if (opts.max !== undefined && input > opts.max) return fail(path, `must be at most ${opts.max}`);
      return ok(input);
    };
  },
  bool(): Validator<boolean> {
    return (input, path = '') =>
      typeof input === 'boolean' ? ok(input) : fail(path, 'must be true or false');
  },
  oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
    return (input, path = '') =>
      typeof input === 'string' && values.includes(input)
        ? ok(input as T[number])
        : fail(path, `must be one of ${values.join(', ')}`);
  },
  array<T>(item: Validator<T>, opts: { min?: number; max?: number } = {}): Validator<T[]> {
    return (input, path = '') => {
      if (!Array.isArray(input)) return fail(path, 'must be an array');
      if (opts.min !== undefined && input.length < opts.min)
        return fail(path, `must have at least ${opts.min} items`);
      if (opts.max !== undefined && input.length > opts.max)
        return fail(path, `must have at most ${opts.max} items`);
      const out: T[] = [];
      for (let i = 0; i < input.length; i++) {
        const r = item(input[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return ok(out);
    };
  },
  tuple2<A, B>(a: Validator<A>, b: Validator<B>): Validator<[A, B]> {
    return (input, path = '') => {
      if (!Array.isArray(input) || input.length !== 2) return fail(path, 'must be a pair');
      const ra = a(input[0], `${path}[0]`);
      if (!ra.ok) return ra;
      const rb = b(input[1], `${path}[1]`);
      if (!rb.ok) return rb;
      return ok([ra.value, rb.value]);
    };
  },
  /** An object with exactly these keys (optional ones may be absent); unknown keys are rejected. */
  object<S extends Record<string, Validator<unknown>>>(
    shape: S,
    optional: readonly (keyof S)[] = [],
  ): Validator<{ [K in keyof S]: S[K] extends Validator<infer T> ? T : never }> {
    return (input, path = '') => {
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return fail(path, 'must be an object');
      const rec = input as Record<string, unknown>;
      for (const k of Object.keys(rec))
        if (!(k in shape)) return fail(path ? `${path}.${k}` : k, 'is not allowed');
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(shape)) {
        const p = path ? `${path}.${k}` : k;
        if (rec[k] === undefined) {
          if (optional.includes(k)) continue;
          return fail(p, 'is required');
        }
        const r = val(rec[k], p);
        if (!r.ok) return r;
        out[k] = r.value;
      }
      return ok(out as { [K in keyof S]: S[K] extends Validator<infer T> ? T : never });
    };
  },
};
