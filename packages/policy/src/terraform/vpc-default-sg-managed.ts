import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { referencing } from './util';

export const vpcDefaultSecurityGroupManaged: Rule<UnitContext> = {
  id: 'TF-VPC-003',
  meaning:
    'Every VPC takes over its default security group (aws_default_security_group) so its allow-all rules are removed.',
  reason:
    'AWS creates the default group with self-referencing ingress and open egress; unmanaged, it stays that way.',
  mirrors: ['checkov CKV2_AWS_12', 'cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed'],
  appliesTo: ['aws_vpc'],
  check(r, ctx) {
    return referencing(ctx, 'aws_default_security_group', 'vpc_id', r).length
      ? compliant
      : nonCompliant('the default security group is not managed (it keeps its allow rules)');
  },
};
