import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Every file under `dir` (recursively), by path relative to it. Missing directory: empty. */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

export interface FieldChange {
  readonly file: string;
  /** `doc[i].a.b[2].c` style path. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ManifestDiff {
  /** Changes to fields named `image` (container and init-container images). */
  readonly imageChanges: readonly FieldChange[];
  /** Every other change: a file added or removed, a document or field that differs. */
  readonly otherChanges: readonly FieldChange[];
}

function parseDocs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS() as unknown);
}

function walkDiff(a: unknown, b: unknown, path: string, file: string, out: FieldChange[]): void {
  if (Object.is(a, b)) return;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length)
        out.push({ file, path: `${path}[${i}]`, before: a[i], after: b[i] });
      else walkDiff(a[i], b[i], `${path}[${i}]`, file, out);
    }
    return;
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = `${path}.${k}`;
      if (!(k in a) || !(k in b)) out.push({ file, path: p, before: a[k], after: b[k] });
      else walkDiff(a[k], b[k], p, file, out);
    }
    return;
  }
  out.push({ file, path, before: a, after: b });
}

/**
 * Compares two snapshots of synthesized YAML, document by document and field by field, and
 * sorts the differences into image fields and everything else.
 */
export function diffManifests(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): ManifestDiff {
  const imageChanges: FieldChange[] = [];
  const otherChanges: FieldChange[] = [];
  for (const file of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(file);
    const b = after.get(file);
    if (a === b) continue;
    if (a === undefined || b === undefined) {
      otherChanges.push({
        file,
        path: '',
        before: a === undefined ? undefined : 'file',
        after: b === undefined ? undefined : 'file',
      });
      continue;
    }
    if (!/\.ya?ml$/.test(file)) {
      otherChanges.push({ file, path: '', before: a, after: b });
      continue;
    }
    const changes: FieldChange[] = [];
    walkDiff(parseDocs(a), parseDocs(b), 'doc', file, changes);
    for (const c of changes) {
      const last = /\.([^.[\]]+)$/.exec(c.path)?.[1];
      const scalar = typeof c.before === 'string' && typeof c.after === 'string';
      (last === 'image' && scalar ? imageChanges : otherChanges).push(c);
    }
  }
  return { imageChanges, otherChanges };
}
