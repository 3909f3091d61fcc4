import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { referencing } from './util';

export const vpcFlowLogs: Rule<UnitContext> = {
  id: 'TF-VPC-001',
  meaning: 'Every VPC has a flow log in the same stack.',
  reason: 'Without flow logs there is no record of who talked to what during an incident.',
  mirrors: ['checkov CKV2_AWS_11', 'Trivy AVD-AWS-0178', 'cdk-nag AwsSolutions-VPC7'],
  appliesTo: ['aws_vpc'],
  check(r, ctx) {
    return referencing(ctx, 'aws_flow_log', 'vpc_id', r).length
      ? compliant
      : nonCompliant('no aws_flow_log refers to this VPC');
  },
};
