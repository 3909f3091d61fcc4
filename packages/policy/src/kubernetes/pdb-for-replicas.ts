import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf, podTemplate, selects } from './pod';

export const pdbForReplicas: Rule<UnitContext> = {
  id: 'K8S-AVL-001',
  meaning:
    'Workloads with more than one replica (or an autoscaler minimum above one) have a PodDisruptionBudget.',
  reason: 'Node drains and upgrades could otherwise evict every replica at once.',
  mirrors: [
    'kube-score deployment-has-poddisruptionbudget',
    'kube-score statefulset-has-poddisruptionbudget',
    'Polaris missingPodDisruptionBudget',
  ],
  appliesTo: ['apps/v1/Deployment', 'apps/v1/StatefulSet'],
  check(r, ctx) {
    const t = podTemplate(r.body);
    const { name, namespace } = metaOf(r);
    if (!t) return notApplicable;
    const spec = (r.body.spec ?? {}) as { replicas?: number };
    const hpa = ctx.resources.find((x) => {
      const s = (x.body.spec ?? {}) as { scaleTargetRef?: { kind?: string; name?: string } };
      return (
        x.type.endsWith('/HorizontalPodAutoscaler') &&
        metaOf(x).namespace === namespace &&
        s.scaleTargetRef?.kind === r.body.kind &&
        s.scaleTargetRef?.name === name
      );
    });
    const min = hpa
      ? Number((hpa.body.spec as { minReplicas?: number }).minReplicas ?? 1)
      : (spec.replicas ?? 1);
    if (min <= 1) return notApplicable;
    const pdb = ctx.resources.find(
      (x) =>
        x.type === 'policy/v1/PodDisruptionBudget' &&
        metaOf(x).namespace === namespace &&
        selects((x.body.spec as { selector?: Record<string, unknown> }).selector as never, t.labels),
    );
    return pdb ? compliant : nonCompliant(`${min} replicas and no PodDisruptionBudget selects its pods`);
  },
};
