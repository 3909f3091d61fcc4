import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { flatRules, INTERNET } from './util';

export const sgNoInternetIngress: Rule<UnitContext> = {
  id: 'TF-SG-005',
  meaning:
    'No ingress from 0.0.0.0/0 or ::/0 on any port unless acknowledged (a public load balancer is the usual reason).',
  reason: 'Every world-open port is attack surface; hosts behind a CDN admit only its published ranges.',
  mirrors: ['checkov CKV_AWS_260', 'Trivy AVD-AWS-0107', 'cdk-nag AwsSolutions-EC23'],
  appliesTo: ['aws_vpc_security_group_ingress_rule', 'aws_security_group_rule', 'aws_security_group'],
  check(r) {
    const rules = flatRules(r).filter((x) => x.direction === 'ingress');
    if (!rules.length) return notApplicable;
    const open = rules.find((x) => x.cidrs.some((c) => INTERNET.includes(c)));
    return open
      ? nonCompliant(
          `ingress from the internet on ${open.protocol} ${open.from ?? 'all'}-${open.to ?? 'all'}`,
        )
      : compliant;
  },
};
