import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { PolicyResource } from './core';

/** The rules' view of one unit (a Terraform stack or a Kubernetes cluster): every resource in it. */
export interface UnitContext {
  readonly unit: string;
  readonly resources: readonly PolicyResource[];
}

/**
 * Acknowledgements on Terraform resources live in the JSON comment key Terraform ignores:
 * `"//": { "policy": { "acknowledgements": { "<RULE-ID>": "<reason>" } } }`.
 */
export function terraformResources(stack: string, tf: Record<string, unknown>): PolicyResource[] {
  const out: PolicyResource[] = [];
  for (const block of ['resource', 'data'] as const) {
    const types = (tf[block] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, byName] of Object.entries(types)) {
      for (const [name, body] of Object.entries(byName)) {
        const comment = (body['//'] ?? {}) as { policy?: { acknowledgements?: Record<string, string> } };
        out.push({
          type: block === 'data' ? `data.${type}` : type,
          address: `${stack}/${block === 'data' ? 'data.' : ''}${type}.${name}`,
          body,
          acknowledgements: comment.policy?.acknowledgements ?? {},
        });
      }
    }
  }
  // Provider and backend blocks are checked too (credentials in the provider block).
  const providers = (tf.provider ?? {}) as Record<string, Record<string, unknown>[]>;
  for (const [name, list] of Object.entries(providers)) {
    list.forEach((body, i) =>
      out.push({
        type: `provider.${name}`,
        address: `${stack}/provider.${name}[${i}]`,
        body,
        acknowledgements: {},
      }),
    );
  }
  return out;
}

/** Every `cdktf.out/stacks/<stack>/cdk.tf.json` below `outDir`. */
export function loadTerraformStacks(outDir: string): UnitContext[] {
  const stacksDir = join(outDir, 'stacks');
  if (!existsSync(stacksDir)) return [];
  return readdirSync(stacksDir)
    .filter((s) => existsSync(join(stacksDir, s, 'cdk.tf.json')))
    .sort()
    .map((stack) => {
      const tf = JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      return { unit: stack, resources: terraformResources(stack, tf) };
    });
}

/** Annotation prefix for acknowledgements: `ack.policy.hybrid.dev/<RULE-ID>: <reason>`. */
export const K8S_ACK_PREFIX = 'ack.policy.hybrid.dev/';

export function kubernetesResource(unit: string, obj: Record<string, unknown>, file = ''): PolicyResource {
  const meta = (obj.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
  const acks: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    if (k.startsWith(K8S_ACK_PREFIX)) acks[k.slice(K8S_ACK_PREFIX.length)] = v;
  }
  const kind = String(obj.kind);
  return {
    type: `${String(obj.apiVersion)}/${kind}`,
    address: `${unit}/${meta.namespace ?? '(cluster)'}/${kind}/${meta.name ?? '?'}${file ? ` (${file})` : ''}`,
    body: obj,
    acknowledgements: acks,
  };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(f) ? [p] : [];
    });
}

/** Every object in `dist/<cluster>/**.yaml`, one unit per cluster. */
export function loadKubernetesClusters(distDir: string): UnitContext[] {
  if (!existsSync(distDir)) return [];
  return readdirSync(distDir)
    .filter((c) => statSync(join(distDir, c)).isDirectory())
    .sort()
    .map((cluster) => {
      const resources: PolicyResource[] = [];
      for (const file of yamlFiles(join(distDir, cluster))) {
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
          const obj = doc.toJS() as Record<string, unknown> | null;
          if (obj && typeof obj === 'object' && obj.kind)
            resources.push(kubernetesResource(cluster, obj, relative(distDir, file)));
        }
      }
      return { unit: cluster, resources };
    });
}
