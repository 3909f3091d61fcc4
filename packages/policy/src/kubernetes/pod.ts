import type { PolicyResource } from '../core';

/** Types that carry a pod template. */
export const POD_TYPES = [
  'v1/Pod',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
] as const;
/** Long-running pod owners (probes and disruption budgets apply). */
export const SERVING_TYPES = ['apps/v1/Deployment', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet'] as const;

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
export interface Container {
  name?: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
  securityContext?: SecurityContext;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext & { fsGroup?: number };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { name: string; hostPath?: unknown }[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}
export interface PodTemplate {
  labels: Record<string, string>;
  spec: PodSpec;
}

type Body = Record<string, unknown> & {
  kind?: string;
  spec?: Record<string, unknown>;
  metadata?: { labels?: Record<string, string> };
};

/** The pod template of a pod-bearing object (or the pod itself). */
export function podTemplate(body: Readonly<Record<string, unknown>>): PodTemplate | undefined {
  const b = body as Body;
  if (b.kind === 'Pod') return { labels: b.metadata?.labels ?? {}, spec: (b.spec ?? {}) as PodSpec };
  let t: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec } | undefined;
  if (b.kind === 'CronJob')
    t = (b.spec?.jobTemplate as { spec?: { template?: typeof t } } | undefined)?.spec?.template;
  else t = b.spec?.template as typeof t;
  if (!t) return undefined;
  return { labels: t.metadata?.labels ?? {}, spec: t.spec ?? {} };
}

/** Every container (init containers too), with the effective security settings merged from the pod. */
export function containers(spec: PodSpec): { c: Container; kind: 'container' | 'initContainer' }[] {
  return [
    ...(spec.initContainers ?? []).map((c) => ({ c, kind: 'initContainer' as const })),
    ...(spec.containers ?? []).map((c) => ({ c, kind: 'container' as const })),
  ];
}

export const metaOf = (
  r: PolicyResource,
): { name: string; namespace: string | undefined; annotations: Record<string, string> } => {
  const m = (r.body.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
  return { name: m.name ?? '', namespace: m.namespace, annotations: m.annotations ?? {} };
};

/** A label selector's matchLabels (matchExpressions are treated as not matching). */
export function selects(
  selector:
    | { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }
    | Record<string, string>
    | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  const match =
    'matchLabels' in s || 'matchExpressions' in s
      ? (s.matchLabels ?? {})
      : (selector as Record<string, string>);
  if ('matchExpressions' in s && s.matchExpressions?.length) return false;
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** Failures per container, joined into one message; undefined when none. */
export function perContainer(spec: PodSpec, check: (c: Container) => string | undefined): string | undefined {
  const problems = containers(spec)
    .map(({ c, kind }) => {
      const p = check(c);
      return p ? `${kind} "${c.name ?? '?'}": ${p}` : undefined;
    })
    .filter((x): x is string => !!x);
  return problems.length ? problems.join('; ') : undefined;
}
