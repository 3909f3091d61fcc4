import { parseQuantity } from '@hybrid/catalog';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { applicationManifest } from './argocd';
import { isDnsLabel, Problems } from './errors';

/** Resources every component of an add-on declares, so its memory is known before it runs. */
export interface ComponentResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}

export interface HelmChart {
  readonly repoUrl: string;
  readonly chart: string;
  /** Exact chart version (no ranges). */
  readonly version: string;
}

export interface HelmAddonProps<V extends object> {
  readonly chart: HelmChart;
  readonly project: string;
  /** Namespace the release goes to (created by ArgoCD). */
  readonly namespace: string;
  /** Typed Helm values. */
  readonly values: V;
  /** @default none */
  readonly wave?: number;
  /** Value paths of components that run on every node (DaemonSets), e.g. `prometheus-node-exporter`. @default none */
  readonly perNode?: readonly string[];
}

/** One component's memory as found in the Helm values. */
export interface ComponentMemory {
  readonly path: string;
  readonly replicas: number;
  readonly limitBytes: number;
  /** Runs once on every node (a DaemonSet) rather than `replicas` times in one pool. */
  readonly perNode?: boolean;
}

/**
 * Every `resources.limits.memory` in a values tree with the replica count beside it (`replicas`,
 * `replicaCount`); subtrees with `enabled: false` are skipped.
 */
export function valuesMemory(values: unknown, path = ''): ComponentMemory[] {
  if (!values || typeof values !== 'object' || Array.isArray(values)) return [];
  const v = values as Record<string, unknown>;
  if (v.enabled === false) return [];
  const out: ComponentMemory[] = [];
  const res = v.resources as { limits?: { memory?: unknown } } | undefined;
  if (res && typeof res.limits?.memory === 'string') {
    const replicas =
      typeof v.replicas === 'number' ? v.replicas : typeof v.replicaCount === 'number' ? v.replicaCount : 1;
    out.push({ path: path || '.', replicas, limitBytes: parseQuantity(res.limits.memory) });
  }
  for (const [k, child] of Object.entries(v))
    if (k !== 'resources') out.push(...valuesMemory(child, path ? `${path}.${k}` : k));
  return out;
}

/** A platform add-on: an ArgoCD Application of an upstream Helm chart at a pinned version with typed values. */
export class HelmAddon<V extends object> extends Construct {
  readonly releaseName: string;
  readonly namespace: string;
  readonly components: readonly ComponentMemory[];
  constructor(scope: Construct, id: string, name: string, props: HelmAddonProps<V>) {
    super(scope, id);
    const problems = new Problems();
    if (!isDnsLabel(name)) problems.add(`HelmAddon "${name}": name must be a DNS label`);
    if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(props.chart.version)) {
      problems.add(
        `HelmAddon "${name}": chart version "${props.chart.version}" must be an exact version (e.g. 1.2.3), not a range`,
      );
    }
    if (!/^(https|oci):\/\//.test(props.chart.repoUrl))
      problems.add(`HelmAddon "${name}": repository "${props.chart.repoUrl}" must be https:// or oci://`);
    const perNode = new Set(props.perNode ?? []);
    const components = valuesMemory(props.values).map((c) =>
      perNode.has(c.path) ? { ...c, perNode: true } : c,
    );
    for (const p of perNode) {
      if (!components.some((c) => c.path === p))
        problems.add(`HelmAddon "${name}": perNode path "${p}" has no resources.limits.memory in the values`);
    }
    if (!components.length)
      problems.add(
        `HelmAddon "${name}": the values declare no memory limits: set resources.limits.memory for every component`,
      );
    problems.throwIfAny('HelmAddon');
    this.releaseName = name;
    this.namespace = props.namespace;
    this.components = components;
    new ApiObject(
      this,
      'Resource',
      applicationManifest(name, {
        project: props.project,
        source: {
          repoURL: props.chart.repoUrl,
          chart: props.chart.chart,
          targetRevision: props.chart.version,
          helm: { releaseName: name, valuesObject: props.values },
        },
        namespace: props.namespace,
        wave: props.wave,
        createNamespace: true,
      }),
    );
  }

  /** Total memory limit of the add-on's pods on `nodes` nodes. */
  memoryLimitBytes(nodes = 1): number {
    return this.components.reduce((s, c) => s + c.limitBytes * (c.perNode ? nodes : c.replicas), 0);
  }
}
