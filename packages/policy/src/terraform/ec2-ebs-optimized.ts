import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const ec2EbsOptimized: Rule<UnitContext> = {
  id: 'TF-EC2-005',
  meaning: 'Instances and launch templates are EBS-optimized.',
  reason:
    'Without dedicated EBS bandwidth, disk and network traffic compete (etcd and PostgreSQL suffer first).',
  mirrors: ['checkov CKV_AWS_135'],
  appliesTo: ['aws_instance', 'aws_launch_template'],
  check(r) {
    return isTrue(r.body.ebs_optimized) ? compliant : nonCompliant('ebs_optimized is not true');
  },
};
