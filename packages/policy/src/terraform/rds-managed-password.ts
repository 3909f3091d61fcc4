import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsManagedPassword: Rule<UnitContext> = {
  id: 'TF-RDS-007',
  meaning:
    'RDS master passwords are managed by Secrets Manager (manage_master_user_password), never a literal or a variable in the configuration.',
  reason:
    'A password in the configuration ends up in state, in plans and in CI logs; Secrets Manager keeps and rotates it.',
  mirrors: ['checkov CKV_SECRET_* (hard-coded secrets)', 'cdk-nag AwsSolutions-SMG4'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return r.body.password !== undefined || r.body.password_wo !== undefined
      ? nonCompliant('a master password is set in the configuration')
      : isTrue(r.body.manage_master_user_password) ||
          r.body.replicate_source_db !== undefined ||
          r.body.snapshot_identifier !== undefined
        ? compliant
        : nonCompliant('manage_master_user_password is not true');
  },
};
