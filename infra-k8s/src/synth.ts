import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { budgetBar, checkCapacity, manifestUsage, type PoolBudget, type Usage } from '@hybrid/constructs-k8s';
import { parse, stringify } from 'yaml';
import { renderArchitecture, withoutAws } from './architecture';
import { buildKubeadm } from './clusters/kubeadm';
import { buildPi } from './clusters/pi';
import type { ClusterBuild } from './clusters/common';
import { configFromEnv, type SynthConfig } from './config';
import { validateObjects } from './validate';

type Obj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
};

export interface ClusterOutput {
  readonly name: string;
  /** `<folder>/<kind>-<name>.yaml` → YAML. */
  readonly files: ReadonlyMap<string, string>;
  readonly objects: readonly Obj[];
  readonly budgets: readonly PoolBudget[];
  readonly build: ClusterBuild;
}

export interface SynthResult {
  readonly clusters: readonly ClusterOutput[];
  readonly architecture: string;
}

export class SchemaValidationError extends Error {
  constructor(readonly errors: readonly { object: string; message: string }[]) {
    super(
      `schema validation failed (${errors.length}):\n${errors.map((e) => `  - ${e.object}: ${e.message}`).join('\n')}`,
    );
    this.name = 'SchemaValidationError';
  }
}

/** Synthesizes one cluster: every object as a file, schema-checked and capacity-checked. */
export async function synthCluster(build: ClusterBuild): Promise<ClusterOutput> {
  const files = new Map<string, string>();
  const objects: Obj[] = [];
  for (const [folder, chart] of build.folders) {
    for (const o of chart.toJson() as Obj[]) {
      const file = `${folder}/${String(o.kind).toLowerCase()}-${o.metadata?.name ?? 'unnamed'}.yaml`;
      if (files.has(file))
        throw new Error(
          `synth ${build.name}: two objects would be written to ${file}: give them distinct names`,
        );
      files.set(file, stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }));
      objects.push(o);
    }
  }
  const errors = await validateObjects(objects);
  if (errors.length)
    throw new SchemaValidationError(errors.map((e) => ({ ...e, object: `${build.name}: ${e.object}` })));
  const usage: Usage[] = [
    ...manifestUsage(objects, build.roleKeyPrefix, build.poolOfRole),
    ...build.addons.flatMap(({ addon, pool }) =>
      addon.components.flatMap((c) => {
        const who = `${addon.namespace}/${addon.releaseName}:${c.path}`;
        // A DaemonSet runs on every node of every pool; the rest runs in the add-ons' pool.
        if (c.perNode)
          return build.pools.map((p) => ({
            who,
            pool: p.name,
            replicas: p.nodes ?? 1,
            limitBytes: c.limitBytes,
          }));
        return [{ who, pool, replicas: c.replicas, limitBytes: c.limitBytes }];
      }),
    ),
  ];
  const budgets = checkCapacity(build.name, build.pools, usage);
  return { name: build.name, files, objects, budgets, build };
}

/** Both clusters and the architecture document, in memory. */
export async function synthAll(cfg: SynthConfig = configFromEnv(), repoRoot?: string): Promise<SynthResult> {
  const clusters = [await synthCluster(buildPi(cfg)), await synthCluster(buildKubeadm(cfg))];
  return { clusters, architecture: renderArchitecture(clusters, repoRoot) };
}

/** Objects per kind and the memory budget as a bar, per pool. */
export function summary(out: ClusterOutput): string {
  const kinds = new Map<string, number>();
  for (const o of out.objects) kinds.set(String(o.kind), (kinds.get(String(o.kind)) ?? 0) + 1);
  const lines = [`${out.name}: ${out.objects.length} objects in ${out.build.folders.size} folders`];
  lines.push(
    `  ${[...kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  for (const b of out.budgets)
    if (b.users.length)
      lines.push(`  memory ${b.pool.padEnd(14)} ${budgetBar(b.usedBytes, b.allocatableBytes)}`);
  return lines.join('\n');
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** The objects of a written dist folder (one cluster's or all), read back from its YAML files. */
export function readManifests(dir: string): Obj[] {
  return yamlFiles(dir)
    .sort()
    .map((f) => parse(readFileSync(f, 'utf8')) as Obj);
}

/** Writes dist/<cluster>/** (removing files no longer produced) and docs/architecture.md. */
export function writeOutputs(
  result: SynthResult,
  distDir: string,
  docsFile: string,
): { written: number; removed: number } {
  let written = 0;
  let removed = 0;
  for (const c of result.clusters) {
    const dir = join(distDir, c.name);
    const wanted = new Set([...c.files.keys()].map((f) => join(dir, f)));
    for (const stale of yamlFiles(dir)) {
      if (!wanted.has(stale)) {
        rmSync(stale);
        removed++;
      }
    }
    for (const [file, text] of c.files) {
      const path = join(dir, file);
      mkdirSync(dirname(path), { recursive: true });
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
        writeFileSync(path, text);
        written++;
      }
    }
    for (const d of existsSync(dir) ? readdirSync(dir) : []) {
      const p = join(dir, d);
      if (statSync(p).isDirectory() && !readdirSync(p).length) rmSync(p, { recursive: true });
    }
  }
  mkdirSync(dirname(docsFile), { recursive: true });
  if (!existsSync(docsFile) || readFileSync(docsFile, 'utf8') !== result.architecture) {
    writeFileSync(docsFile, result.architecture);
    written++;
  }
  return { written, removed };
}

/**
 * Differences between a synth result and what is on disk (for the drift test). Without
 * infra-aws output under `repoRoot` the AWS section of the document is left out of the comparison.
 */
export function diffOutputs(
  result: SynthResult,
  distDir: string,
  docsFile: string,
  repoRoot?: string,
): string[] {
  const diffs: string[] = [];
  for (const c of result.clusters) {
    const dir = join(distDir, c.name);
    const onDisk = new Set(yamlFiles(dir).map((p) => relative(dir, p)));
    for (const [file, text] of c.files) {
      const path = join(dir, file);
      if (!onDisk.has(file)) diffs.push(`missing: ${c.name}/${file}`);
      else if (readFileSync(path, 'utf8') !== text) diffs.push(`differs: ${c.name}/${file}`);
      onDisk.delete(file);
    }
    for (const extra of onDisk) diffs.push(`not produced by synth: ${c.name}/${extra}`);
  }
  if (!existsSync(docsFile)) diffs.push('missing: docs/architecture.md');
  else {
    const hasAws = repoRoot !== undefined && existsSync(join(repoRoot, 'infra-aws/cdktf.out/stacks'));
    const norm = hasAws ? (s: string) => s : withoutAws;
    if (norm(readFileSync(docsFile, 'utf8')) !== norm(result.architecture))
      diffs.push('differs: docs/architecture.md');
  }
  return diffs;
}
