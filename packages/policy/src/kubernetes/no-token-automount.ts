import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf, podTemplate, POD_TYPES } from './pod';

export const noTokenAutomount: Rule<UnitContext> = {
  id: 'K8S-SA-001',
  meaning: 'Pods do not mount a service account token unless they call the Kubernetes API.',
  reason: "A mounted token lets a compromised pod act on the cluster with its service account's rights.",
  mirrors: [
    'Polaris automountServiceAccountToken',
    'checkov CKV_K8S_38',
    'kube-linter (default-service-account)',
  ],
  appliesTo: [...POD_TYPES, 'v1/ServiceAccount'],
  check(r, ctx) {
    if (r.type === 'v1/ServiceAccount') {
      return r.body.automountServiceAccountToken === false
        ? compliant
        : nonCompliant('automountServiceAccountToken is not false');
    }
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    if (t.spec.automountServiceAccountToken === false) return compliant;
    if (t.spec.automountServiceAccountToken === true)
      return nonCompliant('the pod mounts its service account token');
    const sa = ctx.resources.find(
      (x) =>
        x.type === 'v1/ServiceAccount' &&
        metaOf(x).namespace === metaOf(r).namespace &&
        metaOf(x).name === (t.spec.serviceAccountName ?? 'default'),
    );
    return sa?.body.automountServiceAccountToken === false
      ? compliant
      : nonCompliant('the pod mounts its service account token (set automountServiceAccountToken: false)');
  },
};
