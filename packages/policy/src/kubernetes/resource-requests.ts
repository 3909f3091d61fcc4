import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

export const resourceRequests: Rule<UnitContext> = {
  id: 'K8S-RES-001',
  meaning: 'Containers request CPU and memory.',
  reason: 'The scheduler places pods by their requests; without them nodes are overcommitted.',
  mirrors: [
    'kube-score container-resources',
    'Polaris cpuRequestsMissing',
    'Polaris memoryRequestsMissing',
    'kube-linter unset-cpu-requirements',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const p = perContainer(t.spec, (c) => {
      const missing = (['cpu', 'memory'] as const).filter((k) => !c.resources?.requests?.[k]);
      return missing.length ? `no ${missing.join(' and ')} request` : undefined;
    });
    return p ? nonCompliant(p) : compliant;
  },
};
