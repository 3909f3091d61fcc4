import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One image to build: the app directory under apps/ and the Dockerfile target that builds it. */
export interface ImageBuild {
  readonly app: string;
  /** `runtime` for a Node service or worker, `web` for the static site bundle. */
  readonly target: 'runtime' | 'web';
}

export interface AppInfo {
  readonly name: string;
  readonly kind: string;
}

/** Files whose change can alter every image: the build recipe and the workspace-wide install. */
export const GLOBAL_INPUTS = [
  'Dockerfile',
  '.dockerignore',
  'package.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  '.npmrc',
  'tsconfig.base.json',
];

/**
 * Files inside a package that never reach an image, or whose change must not rebuild one: the
 * image lock file is rewritten by every bump commit, and rebuilding on it would loop.
 */
const NOT_SHIPPED = [
  /^packages\/catalog\/images\.lock\.json$/,

  /(^|\/)test\//,
  /\.test\.ts$/,
  /(^|\/)bench\//,
  /\.md$/,
  /(^|\/)jest\.config\.cjs$/,
  /(^|\/)eslint\.config\./,
];

interface WorkspacePackage {
  readonly dir: string;
  readonly name: string;
  readonly deps: readonly string[];
  readonly devDeps: readonly string[];
}

function readWorkspace(root: string): Map<string, WorkspacePackage> {
  const byName = new Map<string, WorkspacePackage>();
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      const file = join(base, d, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const ws = (m: Record<string, string> | undefined) =>
        Object.entries(m ?? {})
          .filter(([, v]) => v.startsWith('workspace:'))
          .map(([k]) => k);
      if (!pkg.name) continue;
      byName.set(pkg.name, {
        dir: `${group}/${d}`,
        name: pkg.name,
        deps: ws(pkg.dependencies),
        devDeps: ws(pkg.devDependencies),
      });
    }
  }
  return byName;
}

/**
 * Which images must be rebuilt for a set of changed files (paths relative to the repository
 * root). An app is rebuilt when its own directory changes, when a workspace package it ships
 * changes (its runtime dependencies, followed transitively; a static site also bundles its
 * development dependencies), or when a file in GLOBAL_INPUTS changes. Tests, benchmarks and docs
 * never reach an image and are ignored.
 */
export function changedApps(
  root: string,
  apps: readonly AppInfo[],
  changedFiles: readonly string[],
): ImageBuild[] {
  const ws = readWorkspace(root);
  const shipped = changedFiles.filter((f) => !NOT_SHIPPED.some((re) => re.test(f)));
  const global = shipped.some((f) => GLOBAL_INPUTS.includes(f));
  const dirOf = new Map([...ws.values()].map((p) => [p.dir, p]));
  const out: ImageBuild[] = [];
  for (const app of apps) {
    const dir = `apps/${app.name}`;
    const pkg = dirOf.get(dir);
    if (!pkg) continue; // no sources in this repository yet: nothing to build
    const isStatic = app.kind === 'static';
    const closure = new Set<string>([dir]);
    const queue = [pkg];
    while (queue.length > 0) {
      const p = queue.pop()!;
      for (const dep of isStatic ? [...p.deps, ...p.devDeps] : p.deps) {
        const d = ws.get(dep);
        if (d && !closure.has(d.dir)) {
          closure.add(d.dir);
          queue.push(d);
        }
      }
    }
    const touched = global || shipped.some((f) => [...closure].some((d) => f.startsWith(`${d}/`)));
    if (touched) out.push({ app: app.name, target: isStatic ? 'web' : 'runtime' });
  }
  return out.sort((a, b) => a.app.localeCompare(b.app));
}
