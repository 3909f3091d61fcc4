import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';

export const rollingUpdateZeroUnavailable: Rule<UnitContext> = {
  id: 'K8S-DEP-001',
  meaning: 'Deployments roll out with maxUnavailable 0 (a new pod is ready before an old one goes).',
  reason: 'A rollout must not reduce serving capacity, least of all when the new version fails to start.',
  mirrors: ['kube-score deployment-strategy', 'Polaris (deployment rolling update)'],
  appliesTo: ['apps/v1/Deployment'],
  check(r) {
    const s = (r.body.spec ?? {}) as {
      strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    };
    if (s.strategy?.type === 'Recreate') return notApplicable;
    const mu = s.strategy?.rollingUpdate?.maxUnavailable;
    return mu === 0 || mu === '0%' ? compliant : nonCompliant(`maxUnavailable is ${mu ?? 'unset (25%)'}`);
  },
};
