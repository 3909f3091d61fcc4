import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks } from './util';

export const ec2Imdsv2: Rule<UnitContext> = {
  id: 'TF-EC2-001',
  meaning: 'Instances and launch templates require IMDSv2 session tokens (http_tokens = required).',
  reason:
    'IMDSv1 answers any request that reaches it, so an SSRF in a workload can steal the instance role credentials.',
  mirrors: [
    'checkov CKV_AWS_79',
    'Trivy AVD-AWS-0028',
    'Trivy AVD-AWS-0130',
    'cdk-nag HIPAA.Security-EC2IMDSv2Enabled',
  ],
  appliesTo: ['aws_instance', 'aws_launch_template'],
  check(r) {
    const opts = blocks(r.body.metadata_options)[0];
    if (opts?.http_endpoint === 'disabled') return compliant;
    return opts?.http_tokens === 'required'
      ? compliant
      : nonCompliant('metadata_options.http_tokens is not "required" (IMDSv1 allowed)');
  },
};
