import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

export const dropAllCapabilities: Rule<UnitContext> = {
  id: 'K8S-POD-003',
  meaning: 'Containers drop ALL capabilities and add none but NET_BIND_SERVICE.',
  reason: 'Capabilities such as NET_ADMIN or SYS_ADMIN give a container power over the node.',
  mirrors: [
    'PSS restricted: Capabilities',
    'Polaris dangerousCapabilities',
    'Polaris insecureCapabilities',
    'kube-linter drop-net-raw-capability',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const p = perContainer(t.spec, (c) => {
      const caps = c.securityContext?.capabilities ?? {};
      if (!(caps.drop ?? []).includes('ALL')) return 'capabilities.drop does not include ALL';
      const added = (caps.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE');
      return added.length ? `adds capabilities ${added.join(', ')}` : undefined;
    });
    return p ? nonCompliant(p) : compliant;
  },
};
