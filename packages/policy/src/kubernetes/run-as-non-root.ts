import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

export const runAsNonRoot: Rule<UnitContext> = {
  id: 'K8S-POD-001',
  meaning: 'Containers run as non-root: runAsNonRoot is true and the UID is not 0.',
  reason: 'A root process that escapes its container is root on the node.',
  mirrors: [
    'PSS restricted: Running as Non-root',
    'kube-score container-security-context-user-group-id',
    'Polaris runAsRootAllowed',
    'kube-linter run-as-non-root',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const pod = t.spec.securityContext ?? {};
    const p = perContainer(t.spec, (c) => {
      const nonRoot = c.securityContext?.runAsNonRoot ?? pod.runAsNonRoot;
      const uid = c.securityContext?.runAsUser ?? pod.runAsUser;
      if (nonRoot !== true) return 'runAsNonRoot is not true';
      if (uid === 0) return 'runAsUser is 0';
      return undefined;
    });
    return p ? nonCompliant(p) : compliant;
  },
};
