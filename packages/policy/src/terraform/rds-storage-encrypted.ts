import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsStorageEncrypted: Rule<UnitContext> = {
  id: 'TF-RDS-001',
  meaning: 'RDS instances encrypt their storage.',
  reason: 'Unencrypted storage exposes every row to anyone who can copy a snapshot or a disk.',
  mirrors: ['checkov CKV_AWS_16', 'Trivy AVD-AWS-0080', 'cdk-nag AwsSolutions-RDS2'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return isTrue(r.body.storage_encrypted) ? compliant : nonCompliant('storage_encrypted is not true');
  },
};
