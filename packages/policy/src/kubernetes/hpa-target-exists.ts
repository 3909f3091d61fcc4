import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf } from './pod';

export const hpaTargetExists: Rule<UnitContext> = {
  id: 'K8S-HPA-001',
  meaning: 'Every HorizontalPodAutoscaler targets a workload that exists in its namespace.',
  reason: 'An autoscaler without a target scales nothing and hides the missing workload.',
  mirrors: ['kube-score horizontalpodautoscaler-has-target', 'kube-linter dangling-horizontalpodautoscaler'],
  appliesTo: ['autoscaling/v2/HorizontalPodAutoscaler'],
  check(r, ctx) {
    const { namespace } = metaOf(r);
    const ref = (
      (r.body.spec ?? {}) as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } }
    ).scaleTargetRef;
    if (!ref) return nonCompliant('no scaleTargetRef');
    const found = ctx.resources.some(
      (x) =>
        x.type === `${ref.apiVersion}/${ref.kind}` &&
        metaOf(x).namespace === namespace &&
        metaOf(x).name === ref.name,
    );
    return found
      ? compliant
      : nonCompliant(`target ${ref.kind}/${ref.name} does not exist in namespace "${namespace}"`);
  },
};
