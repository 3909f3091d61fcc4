/**
 * A small runtime validator for the protocol's payloads: no dependencies, so the web client's
 * bundle stays small and the server validates exactly what the types say.
 *
 * It runs for every stroke a drawer sends, so the path of success allocates only the validated
 * copy: a failure's path (`points[3][0]`) is put together only when something fails, on the way
 * back out, and no result object is made for each value checked.
 */
export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Why a value was refused, and where, relative to the value the failing check was given. */
class Failure {
  constructor(
    readonly at: string,
    readonly reason: string,
  ) {}
  /** The same failure seen from the value that holds this one under `step` (`key` or `[i]`). */
  under(step: string): Failure {
    return new Failure(
      this.at === '' ? step : this.at.startsWith('[') ? step + this.at : `${step}.${this.at}`,
      this.reason,
    );
  }
  get message(): string {
    return `${this.at || 'payload'} ${this.reason}`;
  }
}

/** Checks a value: the validated value, or the Failure. */
type Check<T> = (input: unknown) => T | Failure;

export interface Validator<T> {
  (input: unknown): Result<T>;
  /** The check behind it, for validators built from this one. */
  readonly check: Check<T>;
}

function validator<T>(check: Check<T>): Validator<T> {
  const run = (input: unknown): Result<T> => {
    const r = check(input);
    return r instanceof Failure ? { ok: false, message: r.message } : { ok: true, value: r };
  };
  return Object.assign(run, { check });
}

const refuse = (reason: string) => new Failure('', reason);

/** Code points in `s` (a surrogate pair counts once, as in `[...s].length`), without splitting it. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export const v = {
  string(opts: { min?: number; max?: number; pattern?: RegExp; trim?: boolean } = {}): Validator<string> {
    return validator((input) => {
      if (typeof input !== 'string') return refuse('must be a string');
      const s = opts.trim ? input.trim() : input;
      const len = codePoints(s);
      if (opts.min !== undefined && len < opts.min) return refuse(`must be at least ${opts.min} characters`);
      if (opts.max !== undefined && len > opts.max) return refuse(`must be at most ${opts.max} characters`);
      if (opts.pattern && !opts.pattern.test(s)) return refuse('has an invalid format');
      return s;
    });
  },
  number(opts: { min?: number; max?: number; int?: boolean } = {}): Validator<number> {
    return validator((input) => {
      if (typeof input !== 'number' || !Number.isFinite(input)) return refuse('must be a finite number');
      if (opts.int && !Number.isInteger(input)) return refuse('must be an integer');
      if (opts.min !== undefined && input < opts.min) return refuse(`must be at least ${opts.min}`);
      if (opts.max !== undefined && input > opts.max) return refuse(`must be at most ${opts.max}`);
      return input;
    });
  },
  bool(): Validator<boolean> {
    return validator((input) => (typeof input === 'boolean' ? input : refuse('must be true or false')));
  },
  oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
    const reason = `must be one of ${values.join(', ')}`;
    return validator((input) =>
      typeof input === 'string' && values.includes(input) ? (input as T[number]) : refuse(reason),
    );
  },
  array<T>(item: Validator<T>, opts: { min?: number; max?: number } = {}): Validator<T[]> {
    const check = item.check;
    return validator((input) => {
      if (!Array.isArray(input)) return refuse('must be an array');
      if (opts.min !== undefined && input.length < opts.min)
        return refuse(`must have at least ${opts.min} items`);
      if (opts.max !== undefined && input.length > opts.max)
        return refuse(`must have at most ${opts.max} items`);
      const out: T[] = [];
      for (let i = 0; i < input.length; i++) {
        const r = check(input[i]);
        if (r instanceof Failure) return r.under(`[${i}]`);
        out.push(r);
      }
      return out;
    });
  },
  tuple2<A, B>(a: Validator<A>, b: Validator<B>): Validator<[A, B]> {
    const [checkA, checkB] = [a.check, b.check];
    return validator((input) => {
      if (!Array.isArray(input) || input.length !== 2) return refuse('must be a pair');
      const ra = checkA(input[0]);
      if (ra instanceof Failure) return ra.under('[0]');
      const rb = checkB(input[1]);
      if (rb instanceof Failure) return rb.under('[1]');
      return [ra, rb] as [A, B];
    });
  },
  /** An object with exactly these keys (optional ones may be absent); unknown keys are rejected. */
  object<S extends Record<string, Validator<unknown>>>(
    shape: S,
    optional: readonly (keyof S)[] = [],
  ): Validator<{ [K in keyof S]: S[K] extends Validator<infer T> ? T : never }> {
    const fields = Object.entries(shape).map(([key, val]) => ({
      key,
      check: val.check,
      optional: optional.includes(key),
    }));
    return validator((input) => {
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return refuse('must be an object');
      const rec = input as Record<string, unknown>;
      for (const k in rec)
        if (Object.hasOwn(rec, k) && !Object.hasOwn(shape, k)) return new Failure(k, 'is not allowed');
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        const x = rec[f.key];
        if (x === undefined) {
          if (f.optional) continue;
          return new Failure(f.key, 'is required');
        }
        const r = f.check(x);
        if (r instanceof Failure) return r.under(f.key);
        out[f.key] = r;
      }
      return out as { [K in keyof S]: S[K] extends Validator<infer T> ? T : never };
    });
  },
};
