import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

export const noPrivilegeEscalation: Rule<UnitContext> = {
  id: 'K8S-POD-002',
  meaning: 'Containers set allowPrivilegeEscalation: false.',
  reason: 'setuid binaries and file capabilities could otherwise raise a process above its user.',
  mirrors: [
    'PSS restricted: Privilege Escalation',
    'Polaris privilegeEscalationAllowed',
    'kube-linter privilege-escalation-container',
    'kube-score container-security-context-privileged',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const p = perContainer(t.spec, (c) =>
      c.securityContext?.allowPrivilegeEscalation === false
        ? undefined
        : 'allowPrivilegeEscalation is not false',
    );
    return p ? nonCompliant(p) : compliant;
  },
};
