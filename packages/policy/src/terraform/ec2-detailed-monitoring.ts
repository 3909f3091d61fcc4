import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, isTrue } from './util';

export const ec2DetailedMonitoring: Rule<UnitContext> = {
  id: 'TF-EC2-004',
  meaning: 'Instances and launch templates enable detailed (1-minute) CloudWatch monitoring.',
  reason: 'Five-minute metrics hide the spikes that precede an outage on small instances.',
  mirrors: ['checkov CKV_AWS_126', 'cdk-nag AwsSolutions-EC28'],
  appliesTo: ['aws_instance', 'aws_launch_template'],
  check(r) {
    const on =
      r.type === 'aws_instance' ? isTrue(r.body.monitoring) : isTrue(blocks(r.body.monitoring)[0]?.enabled);
    return on ? compliant : nonCompliant('detailed monitoring is off');
  },
};
