import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, isTrue } from './util';

export const ec2NoAutoPublicIp: Rule<UnitContext> = {
  id: 'TF-EC2-007',
  meaning:
    'Instances and launch templates do not ask for an automatic public IP (a public host gets an explicit Elastic IP).',
  reason: 'Automatic public addresses change on stop/start and expose hosts that were meant to be private.',
  mirrors: ['checkov CKV_AWS_88', 'Trivy AVD-AWS-0009'],
  appliesTo: ['aws_instance', 'aws_launch_template'],
  check(r) {
    const direct = isTrue(r.body.associate_public_ip_address);
    const viaNic = blocks(r.body.network_interfaces).some((n) => isTrue(n.associate_public_ip_address));
    return direct || viaNic ? nonCompliant('associate_public_ip_address is true') : compliant;
  },
};
