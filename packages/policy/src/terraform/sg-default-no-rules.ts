import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { flatRules } from './util';

export const sgDefaultNoRules: Rule<UnitContext> = {
  id: 'TF-SG-004',
  meaning: 'A VPC default security group, when managed, has no ingress and no egress rules.',
  reason: 'Resources launched without an explicit group land in the default one; it must admit nothing.',
  mirrors: ['checkov CKV2_AWS_12', 'AWS Security Hub EC2.2'],
  appliesTo: ['aws_default_security_group'],
  check(r) {
    return flatRules(r).length ? nonCompliant('the default security group has rules') : compliant;
  },
};
