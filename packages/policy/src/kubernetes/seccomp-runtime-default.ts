import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

const OK = ['RuntimeDefault', 'Localhost'];

export const seccompRuntimeDefault: Rule<UnitContext> = {
  id: 'K8S-POD-004',
  meaning: 'Pods or their containers use the RuntimeDefault (or a Localhost) seccomp profile.',
  reason: 'Without seccomp every system call is open to a compromised process.',
  mirrors: ['PSS restricted: Seccomp', 'kube-score container-seccomp-profile', 'checkov CKV_K8S_31'],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const pod = t.spec.securityContext?.seccompProfile?.type;
    const p = perContainer(t.spec, (c) => {
      const type = c.securityContext?.seccompProfile?.type ?? pod;
      return type && OK.includes(type) ? undefined : `seccomp profile is ${type ?? 'unset'}`;
    });
    return p ? nonCompliant(p) : compliant;
  },
};
