import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';

export const rdsLogExports: Rule<UnitContext> = {
  id: 'TF-RDS-010',
  meaning: 'RDS instances export their engine logs to CloudWatch.',
  reason: 'Connection and error logs on the instance disappear with it and cannot be searched.',
  mirrors: ['checkov CKV_AWS_129', 'cdk-nag NIST.800.53.R5-RDSLoggingEnabled'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return Array.isArray(r.body.enabled_cloudwatch_logs_exports) &&
      (r.body.enabled_cloudwatch_logs_exports as unknown[]).length
      ? compliant
      : nonCompliant('enabled_cloudwatch_logs_exports is empty');
  },
};
