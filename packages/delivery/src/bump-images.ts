import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseImageRef } from './image-ref';

/** Where the image references live, relative to the repository root. */
export const IMAGE_LOCK_PATH = 'packages/catalog/images.lock.json';

export class BumpError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `bump-images: nothing was changed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'BumpError';
  }
}

export type ImageLock = Readonly<Record<string, string>>;

/**
 * Parses `<app>=<ref>` arguments against the known images (the lock file's keys). Collects every
 * problem and throws once: unknown image, malformed or floating reference, an image named twice
 * with different references.
 */
export function parseBumpArgs(
  args: readonly string[],
  known: readonly string[],
): ReadonlyMap<string, string> {
  const problems: string[] = [];
  const out = new Map<string, string>();
  if (args.length === 0)
    problems.push(
      'no arguments: usage is bump-images <app>=<ref> ... (ref: a tag like 1.2.3 or sha256:<64 hex>)',
    );
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      problems.push(`"${arg}" is not <app>=<ref> (for example auth=1.2.3)`);
      continue;
    }
    const app = arg.slice(0, eq);
    const ref = arg.slice(eq + 1);
    if (!known.includes(app)) {
      problems.push(`unknown image "${app}" (known: ${[...known].sort().join(', ')})`);
      continue;
    }
    const parsed = parseImageRef(ref);
    if ('error' in parsed) {
      problems.push(`${app}: ${parsed.error}`);
      continue;
    }
    const previous = out.get(app);
    if (previous !== undefined && previous !== ref) {
      problems.push(`${app} is given twice with different references ("${previous}" and "${ref}")`);
      continue;
    }
    out.set(app, ref);
  }
  if (problems.length > 0) throw new BumpError(problems);
  return out;
}

/** The lock with the given references applied; key order is kept so the diff shows only the bumped lines. */
export function applyBump(lock: ImageLock, refs: ReadonlyMap<string, string>): Record<string, string> {
  const next: Record<string, string> = {};
  for (const [name, ref] of Object.entries(lock)) next[name] = refs.get(name) ?? ref;
  return next;
}

export function formatLock(lock: ImageLock): string {
  return `${JSON.stringify(lock, null, 2)}\n`;
}

export function readLock(root: string): ImageLock {
  const file = join(root, IMAGE_LOCK_PATH);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BumpError([`${IMAGE_LOCK_PATH} is not a JSON object of image name to reference`]);
  }
  const bad = Object.entries(parsed).filter(([, v]) => typeof v !== 'string');
  if (bad.length > 0) throw new BumpError(bad.map(([k]) => `${IMAGE_LOCK_PATH}: "${k}" is not a string`));
  return parsed as ImageLock;
}

export interface BumpOptions {
  /** Run `pnpm synth` after the lock is written. @default true */
  readonly synth?: boolean;
  /** Where the synth output goes. @default 'inherit' */
  readonly stdio?: 'inherit' | 'pipe';
}

export interface BumpResult {
  /** Images whose reference changed, with the old and new reference. */
  readonly changed: readonly { readonly app: string; readonly from: string; readonly to: string }[];
  readonly lockWritten: boolean;
  readonly synthesized: boolean;
}

/**
 * Validates the arguments, writes the new references into the lock file and re-synthesizes the
 * committed manifests. On bad input nothing is written. When synth fails the lock file is put
 * back as it was, so the lock and the manifests never disagree.
 */
export function bumpImages(root: string, args: readonly string[], options: BumpOptions = {}): BumpResult {
  const lock = readLock(root);
  const refs = parseBumpArgs(args, Object.keys(lock));
  const next = applyBump(lock, refs);
  const changed = Object.keys(lock)
    .filter((k) => lock[k] !== next[k])
    .map((app) => ({ app, from: lock[app]!, to: next[app]! }));
  const file = join(root, IMAGE_LOCK_PATH);
  const before = readFileSync(file, 'utf8');
  const after = formatLock(next);
  const lockWritten = after !== before;
  if (lockWritten) writeFileSync(file, after);
  if (options.synth === false) return { changed, lockWritten, synthesized: false };
  const run = spawnSync('pnpm', ['synth'], {
    cwd: root,
    stdio: options.stdio ?? 'inherit',
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    if (lockWritten) writeFileSync(file, before);
    const detail = run.error
      ? run.error.message
      : `exit code ${run.status}${run.stderr ? `: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`;
    throw new Error(`bump-images: pnpm synth failed (${detail}); ${IMAGE_LOCK_PATH} was restored`);
  }
  return { changed, lockWritten, synthesized: true };
}
