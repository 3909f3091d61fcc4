import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';

export const rdsBackupRetention: Rule<UnitContext> = {
  id: 'TF-RDS-005',
  meaning: 'RDS instances keep automated backups for at least 7 days.',
  reason: 'Corruption is often noticed days later; short retention leaves nothing clean to restore.',
  mirrors: ['checkov CKV_AWS_133', 'Trivy AVD-AWS-0077', 'cdk-nag AwsSolutions-RDS13'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return Number(r.body.backup_retention_period ?? 0) >= 7
      ? compliant
      : nonCompliant(
          `backup_retention_period is ${String(r.body.backup_retention_period ?? 'unset')}, below 7`,
        );
  },
};
