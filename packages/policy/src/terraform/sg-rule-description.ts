import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { flatRules } from './util';

export const sgRuleDescription: Rule<UnitContext> = {
  id: 'TF-SG-002',
  meaning: 'Every security group rule (standalone or inline) has a description.',
  reason: 'A rule without a description cannot be reviewed: nobody knows which peer needs it.',
  mirrors: ['checkov CKV_AWS_23', 'Trivy AVD-AWS-0124', 'cdk-nag AwsSolutions-EC27'],
  appliesTo: [
    'aws_vpc_security_group_ingress_rule',
    'aws_vpc_security_group_egress_rule',
    'aws_security_group_rule',
    'aws_security_group',
  ],
  check(r) {
    const rules = flatRules(r);
    if (!rules.length) return notApplicable;
    const bad = rules.filter((x) => !x.description.trim());
    return bad.length ? nonCompliant(`${bad.length} rule(s) without a description`) : compliant;
  },
};
