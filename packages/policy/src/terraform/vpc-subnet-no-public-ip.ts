import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const vpcSubnetNoAutoPublicIp: Rule<UnitContext> = {
  id: 'TF-VPC-002',
  meaning: 'Subnets do not assign public IPs on launch (map_public_ip_on_launch is false).',
  reason:
    'Anything launched into such a subnet becomes reachable from the internet without anyone asking for it.',
  mirrors: ['checkov CKV_AWS_130', 'Trivy AVD-AWS-0164'],
  appliesTo: ['aws_subnet'],
  check(r) {
    return isTrue(r.body.map_public_ip_on_launch)
      ? nonCompliant('map_public_ip_on_launch is true')
      : compliant;
  },
};
