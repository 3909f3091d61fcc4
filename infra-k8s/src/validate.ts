/**
 * Schema validation of every synthesized object: Kubernetes kinds against the OpenAPI schemas of
 * `kubernetes-models`, ArgoCD kinds against `@kubernetes-models/argo-cd`, and the CRDs without a
 * model package (Prometheus operator, MetalLB, External Secrets) structurally.
 */
type Obj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
};
interface Model {
  new (data: unknown): { validate(): void };
}

const modelCache = new Map<string, Model | null>();

async function modelFor(apiVersion: string, kind: string): Promise<Model | null> {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key)!;
  let path: string | undefined;
  if (apiVersion.startsWith('argoproj.io/')) path = `@kubernetes-models/argo-cd/${apiVersion}/${kind}`;
  else if (!apiVersion.includes('/') || /\.k8s\.io\/|^(apps|batch|autoscaling|policy)\//.test(apiVersion))
    path = `kubernetes-models/${apiVersion}/${kind}`;
  let model: Model | null = null;
  if (path) {
    // The model packages are ESM only (their exports have only the "import" condition).
    const mod = (await import(path)) as Record<string, Model>;
    model = mod[kind] ?? null;
  }
  modelCache.set(key, model);
  return model;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown) => typeof v === 'string' && v.length > 0;

/** Structural checks for the CRDs that have no model package. */
const structural: Record<string, (o: Obj) => string[]> = {
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => {
    const s = o.spec as { selector?: unknown; endpoints?: { port?: unknown; path?: unknown }[] } | undefined;
    const p: string[] = [];
    if (!isObj(s?.selector)) p.push('spec.selector must be a label selector');
    if (!Array.isArray(s?.endpoints) || !s.endpoints.length)
      p.push('spec.endpoints must be a non-empty list');
    else
      s.endpoints.forEach(
        (e, i) => !str(e.port) && p.push(`spec.endpoints[${i}].port must name a Service port`),
      );
    return p;
  },
  'monitoring.coreos.com/v1/PrometheusRule': (o) => {
    const groups = (
      o.spec as
        | { groups?: { name?: unknown; rules?: { alert?: unknown; expr?: unknown; for?: unknown }[] }[] }
        | undefined
    )?.groups;
    const p: string[] = [];
    if (!Array.isArray(groups) || !groups.length) return ['spec.groups must be a non-empty list'];
    groups.forEach((g, i) => {
      if (!str(g.name)) p.push(`spec.groups[${i}].name is required`);
      if (!Array.isArray(g.rules) || !g.rules.length)
        p.push(`spec.groups[${i}].rules must be a non-empty list`);
      else
        g.rules.forEach((r, j) => {
          if (!str(r.alert) || !str(r.expr)) p.push(`spec.groups[${i}].rules[${j}] needs alert and expr`);
          if (r.for !== undefined && !/^\d+[smh]$/.test(String(r.for)))
            p.push(`spec.groups[${i}].rules[${j}].for "${String(r.for)}" is not a duration`);
        });
    });
    return p;
  },
  'metallb.io/v1beta1/IPAddressPool': (o) => {
    const a = (o.spec as { addresses?: unknown } | undefined)?.addresses;
    return Array.isArray(a) && a.length && a.every(str)
      ? []
      : ['spec.addresses must be a non-empty list of ranges'];
  },
  'metallb.io/v1beta1/L2Advertisement': (o) => {
    const a = (o.spec as { ipAddressPools?: unknown } | undefined)?.ipAddressPools;
    return a === undefined || (Array.isArray(a) && a.every(str))
      ? []
      : ['spec.ipAddressPools must be a list of pool names'];
  },
  'external-secrets.io/v1/ExternalSecret': (o) => {
    const s = o.spec as
      | {
          secretStoreRef?: { name?: unknown; kind?: unknown };
          target?: { name?: unknown };
          data?: { secretKey?: unknown; remoteRef?: { key?: unknown } }[];
        }
      | undefined;
    const p: string[] = [];
    if (
      !str(s?.secretStoreRef?.name) ||
      !['SecretStore', 'ClusterSecretStore'].includes(String(s?.secretStoreRef?.kind))
    )
      p.push('spec.secretStoreRef needs a name and kind SecretStore or ClusterSecretStore');
    if (!str(s?.target?.name)) p.push('spec.target.name is required');
    if (!Array.isArray(s?.data) || !s.data.length) p.push('spec.data must be a non-empty list');
    else
      s.data.forEach(
        (d, i) =>
          (!str(d.secretKey) || !str(d.remoteRef?.key)) &&
          p.push(`spec.data[${i}] needs secretKey and remoteRef.key`),
      );
    return p;
  },
  'external-secrets.io/v1/ClusterSecretStore': (o) =>
    isObj((o.spec as { provider?: unknown } | undefined)?.provider) ? [] : ['spec.provider is required'],
};

export interface SchemaError {
  readonly object: string;
  readonly message: string;
}

/** Every schema problem of the given objects (empty when all validate). */
export async function validateObjects(objects: readonly Obj[]): Promise<SchemaError[]> {
  const errors: SchemaError[] = [];
  for (const o of objects) {
    const id = `${o.kind ?? '?'}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;
    if (!str(o.apiVersion) || !str(o.kind)) {
      errors.push({ object: id, message: 'apiVersion and kind are required' });
      continue;
    }
    if (!str(o.metadata?.name)) errors.push({ object: id, message: 'metadata.name is required' });
    const key = `${o.apiVersion}/${o.kind}`;
    const check = structural[key];
    if (check) {
      for (const message of check(o)) errors.push({ object: id, message });
      continue;
    }
    let model: Model | null;
    try {
      model = await modelFor(o.apiVersion!, o.kind!);
    } catch {
      model = null;
    }
    if (!model) {
      errors.push({ object: id, message: `no schema for ${key}: add a model or a structural check` });
      continue;
    }
    try {
      new model(o).validate();
    } catch (e) {
      errors.push({ object: id, message: (e as Error).message });
    }
  }
  return errors;
}
