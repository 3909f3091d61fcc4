import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

export const memoryLimit: Rule<UnitContext> = {
  id: 'K8S-RES-002',
  meaning: 'Containers have a memory limit.',
  reason: 'A leaking container without a limit takes the node (and its neighbours) down.',
  mirrors: [
    'kube-score container-resources',
    'Polaris memoryLimitsMissing',
    'kube-linter unset-memory-requirements',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const p = perContainer(t.spec, (c) => (c.resources?.limits?.memory ? undefined : 'no memory limit'));
    return p ? nonCompliant(p) : compliant;
  },
};
