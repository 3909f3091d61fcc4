import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { str } from './util';

export const sgDescription: Rule<UnitContext> = {
  id: 'TF-SG-001',
  meaning: 'Security groups carry a description saying what they guard (not the provider default).',
  reason: 'An undocumented group is never cleaned up and nobody dares to narrow it.',
  mirrors: ['checkov CKV_AWS_23', 'Trivy AVD-AWS-0099', 'cdk-nag AwsSolutions-EC27'],
  appliesTo: ['aws_security_group'],
  check(r) {
    const d = str(r.body.description).trim();
    return d && d !== 'Managed by Terraform'
      ? compliant
      : nonCompliant('security group has no description of its own');
  },
};
