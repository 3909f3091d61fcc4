import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { podTemplate, SERVING_TYPES } from './pod';

export const probes: Rule<UnitContext> = {
  id: 'K8S-PRB-001',
  meaning: 'Long-running containers have liveness and readiness probes.',
  reason: 'Without readiness, traffic reaches pods that cannot serve; without liveness, hung pods stay.',
  mirrors: [
    'kube-score pod-probes',
    'Polaris livenessProbeMissing',
    'Polaris readinessProbeMissing',
    'kube-linter no-liveness-probe',
    'kube-linter no-readiness-probe',
  ],
  appliesTo: [...SERVING_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const missing = (t.spec.containers ?? []).flatMap((c) => [
      ...(c.livenessProbe ? [] : [`container "${c.name ?? '?'}" has no liveness probe`]),
      ...(c.readinessProbe ? [] : [`container "${c.name ?? '?'}" has no readiness probe`]),
    ]);
    return missing.length ? nonCompliant(missing.join('; ')) : compliant;
  },
};
