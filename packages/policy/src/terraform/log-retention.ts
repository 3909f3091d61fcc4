import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';

export const logGroupRetention: Rule<UnitContext> = {
  id: 'TF-LOG-001',
  meaning: 'CloudWatch log groups keep their events for at least 365 days.',
  reason: 'Investigations often start months after the event; short retention deletes the evidence.',
  mirrors: ['checkov CKV_AWS_338', 'cdk-nag NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod'],
  appliesTo: ['aws_cloudwatch_log_group'],
  check(r) {
    if (r.body.retention_in_days === undefined) return nonCompliant('retention_in_days is not set');
    const days = Number(r.body.retention_in_days);
    if (days === 0) return compliant; // 0 = never expire
    return days >= 365 ? compliant : nonCompliant(`retention_in_days is ${days}, below 365`);
  },
};
