import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsIamAuthentication: Rule<UnitContext> = {
  id: 'TF-RDS-009',
  meaning: 'RDS instances enable IAM database authentication.',
  reason: 'Short-lived IAM tokens let operators connect without sharing the master password.',
  mirrors: ['checkov CKV_AWS_161', 'Trivy AVD-AWS-0176', 'cdk-nag AwsSolutions-RDS6'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return isTrue(r.body.iam_database_authentication_enabled)
      ? compliant
      : nonCompliant('iam_database_authentication_enabled is not true');
  },
};
