import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { allProtocols, flatRules, INTERNET } from './util';

export const sgNoUnrestrictedEgress: Rule<UnitContext> = {
  id: 'TF-SG-006',
  meaning: 'Egress to 0.0.0.0/0 or ::/0 names its protocol and ports; no all-traffic egress to the internet.',
  reason: 'All-protocol egress lets a compromised host exfiltrate or tunnel over any port.',
  mirrors: ['checkov CKV_AWS_382', 'Trivy AVD-AWS-0104'],
  appliesTo: ['aws_vpc_security_group_egress_rule', 'aws_security_group_rule', 'aws_security_group'],
  check(r) {
    const rules = flatRules(r).filter((x) => x.direction === 'egress');
    if (!rules.length) return notApplicable;
    const bad = rules.find(
      (x) =>
        x.cidrs.some((c) => INTERNET.includes(c)) &&
        (allProtocols(x.protocol) || (x.from === 0 && x.to === 65535)),
    );
    return bad ? nonCompliant('all-traffic egress to the internet') : compliant;
  },
};
