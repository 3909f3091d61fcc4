import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsMultiAz: Rule<UnitContext> = {
  id: 'TF-RDS-004',
  meaning: 'RDS instances run Multi-AZ.',
  reason: 'A single-AZ database is down for the whole zone outage and for every maintenance reboot.',
  mirrors: ['checkov CKV_AWS_157', 'cdk-nag AwsSolutions-RDS3'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return isTrue(r.body.multi_az) ? compliant : nonCompliant('multi_az is not true');
  },
};
