import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsDeletionProtection: Rule<UnitContext> = {
  id: 'TF-RDS-003',
  meaning: 'RDS instances have deletion protection on.',
  reason: 'One mistaken destroy (or a replaced resource) must not erase the database.',
  mirrors: ['checkov CKV_AWS_293', 'Trivy AVD-AWS-0177', 'cdk-nag AwsSolutions-RDS10'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return isTrue(r.body.deletion_protection) ? compliant : nonCompliant('deletion_protection is not true');
  },
};
