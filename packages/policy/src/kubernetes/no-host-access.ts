import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { containers, podTemplate, POD_TYPES } from './pod';

export const noHostAccess: Rule<UnitContext> = {
  id: 'K8S-POD-006',
  meaning: 'Pods use no host namespaces, no hostPath volumes and no privileged containers.',
  reason: 'Host network, PID, IPC, paths and privileged mode all break the container boundary.',
  mirrors: [
    'PSS baseline: Host Namespaces',
    'PSS baseline: HostPath Volumes',
    'PSS baseline: Privileged Containers',
    'Polaris hostNetworkSet',
    'Polaris hostPIDSet',
    'kube-linter host-network',
    'kube-linter privileged-container',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const s = t.spec;
    const problems: string[] = [];
    if (s.hostNetwork) problems.push('hostNetwork');
    if (s.hostPID) problems.push('hostPID');
    if (s.hostIPC) problems.push('hostIPC');
    for (const v of s.volumes ?? []) if (v.hostPath) problems.push(`hostPath volume "${v.name}"`);
    for (const { c } of containers(s))
      if (c.securityContext?.privileged) problems.push(`privileged container "${c.name ?? '?'}"`);
    return problems.length ? nonCompliant(`uses ${problems.join(', ')}`) : compliant;
  },
};
