import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsPerformanceInsights: Rule<UnitContext> = {
  id: 'TF-RDS-008',
  meaning: 'RDS instances enable Performance Insights.',
  reason: 'Without it a slow query during an incident leaves no trace of what the database was waiting on.',
  mirrors: ['checkov CKV_AWS_353', 'Trivy AVD-AWS-0133'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return isTrue(r.body.performance_insights_enabled)
      ? compliant
      : nonCompliant('performance_insights_enabled is not true');
  },
};
