/**
 * Plain JSON Schema builders, for code that must not load TypeBox (about 400 ES modules and 11 MB
 * of RSS; see `./schema`). An object lists every property as required, as TypeBox's `Type.Object`
 * does.
 */
export const Json = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  object: <P extends Record<string, object>>(properties: P) =>
    ({ type: 'object', properties, required: Object.keys(properties) }) as const,
  array: <T extends object>(items: T) => ({ type: 'array', items }) as const,
} as const;
