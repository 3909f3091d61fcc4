import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf } from './pod';

interface Backend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

export const ingressBackendsExist: Rule<UnitContext> = {
  id: 'K8S-ING-001',
  meaning: 'Every Ingress backend is a Service of the same namespace with that port.',
  reason: 'A route to a missing Service answers 503 for the whole path.',
  mirrors: ['kube-score ingress-targets-service', 'kube-linter dangling-ingress'],
  appliesTo: ['networking.k8s.io/v1/Ingress'],
  check(r, ctx) {
    const { namespace } = metaOf(r);
    const spec = (r.body.spec ?? {}) as {
      defaultBackend?: Backend;
      rules?: { http?: { paths?: { backend: Backend }[] } }[];
    };
    const backends = [
      ...(spec.defaultBackend ? [spec.defaultBackend] : []),
      ...(spec.rules ?? []).flatMap((x) => (x.http?.paths ?? []).map((p) => p.backend)),
    ];
    const problems: string[] = [];
    for (const b of backends) {
      if (!b.service) continue;
      const svc = ctx.resources.find(
        (x) =>
          x.type === 'v1/Service' && metaOf(x).namespace === namespace && metaOf(x).name === b.service!.name,
      );
      if (!svc) {
        problems.push(`Service "${b.service.name}" does not exist in namespace "${namespace}"`);
        continue;
      }
      const ports = (svc.body.spec as { ports?: { port?: number; name?: string }[] }).ports ?? [];
      const want = b.service.port;
      if (
        want &&
        !ports.some((p) => (want.number !== undefined ? p.port === want.number : p.name === want.name))
      ) {
        problems.push(`Service "${b.service.name}" has no port ${want.number ?? want.name}`);
      }
    }
    return problems.length ? nonCompliant(problems.join('; ')) : compliant;
  },
};
