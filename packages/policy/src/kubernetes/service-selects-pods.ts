import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf, podTemplate, selects } from './pod';

export const serviceSelectsPods: Rule<UnitContext> = {
  id: 'K8S-SVC-001',
  meaning:
    'Every Service with a selector selects the pods of a workload in its namespace, on a port they expose.',
  reason: 'A Service that selects nothing is a silent outage.',
  mirrors: ['kube-score service-targets-pod', 'kube-linter dangling-service'],
  appliesTo: ['v1/Service'],
  check(r, ctx) {
    const spec = (r.body.spec ?? {}) as {
      selector?: Record<string, string>;
      type?: string;
      ports?: { targetPort?: string | number; port?: number }[];
    };
    if (!spec.selector || spec.type === 'ExternalName') return notApplicable;
    const { namespace } = metaOf(r);
    const pods = ctx.resources
      .filter((x) => metaOf(x).namespace === namespace)
      .map((x) => podTemplate(x.body))
      .filter((t) => t && selects(spec.selector, t.labels));
    if (!pods.length)
      return nonCompliant(
        `selector ${JSON.stringify(spec.selector)} matches no pods in namespace "${namespace}"`,
      );
    const exposed = new Set(
      pods.flatMap((t) =>
        (t!.spec.containers ?? []).flatMap((c) =>
          ((c as { ports?: { name?: string; containerPort?: number }[] }).ports ?? []).flatMap((p) => [
            p.name,
            p.containerPort,
          ]),
        ),
      ),
    );
    const missing = (spec.ports ?? []).filter((p) => !exposed.has(p.targetPort ?? p.port));
    return missing.length
      ? nonCompliant(
          `target port ${missing.map((p) => String(p.targetPort ?? p.port)).join(', ')} is not exposed by the selected pods`,
        )
      : compliant;
  },
};
