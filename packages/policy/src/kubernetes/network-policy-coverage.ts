import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf, podTemplate, POD_TYPES, selects } from './pod';

export const networkPolicyCoverage: Rule<UnitContext> = {
  id: 'K8S-NET-001',
  meaning: 'Every pod is selected by a NetworkPolicy of its namespace (host-network pods excepted).',
  reason: 'Pods without a policy accept traffic from, and send it to, anything in the cluster.',
  mirrors: ['kube-score pod-networkpolicy', 'kube-linter non-isolated-pod'],
  appliesTo: [...POD_TYPES],
  check(r, ctx) {
    const t = podTemplate(r.body);
    if (!t || t.spec.hostNetwork) return notApplicable;
    const { namespace } = metaOf(r);
    const covered = ctx.resources.some((x) => {
      if (x.type !== 'networking.k8s.io/v1/NetworkPolicy' || metaOf(x).namespace !== namespace) return false;
      const sel =
        (x.body.spec as { podSelector?: { matchLabels?: Record<string, string> } } | undefined)
          ?.podSelector ?? {};
      return selects(sel, t.labels);
    });
    return covered
      ? compliant
      : nonCompliant(`no NetworkPolicy in namespace "${namespace ?? 'default'}" selects its pods`);
  },
};
