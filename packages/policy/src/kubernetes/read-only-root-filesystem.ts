import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

export const readOnlyRootFilesystem: Rule<UnitContext> = {
  id: 'K8S-POD-005',
  meaning: 'Containers have a read-only root filesystem (emptyDir for what must be written).',
  reason: 'An attacker cannot drop tools or change binaries in a read-only image.',
  mirrors: [
    'kube-score container-security-context-readonlyrootfilesystem',
    'Polaris notReadOnlyRootFilesystem',
    'kube-linter no-read-only-root-fs',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const p = perContainer(t.spec, (c) =>
      c.securityContext?.readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true',
    );
    return p ? nonCompliant(p) : compliant;
  },
};
