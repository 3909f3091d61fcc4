import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isAnyone, statements } from './util';

export const s3NotWorldReadable: Rule<UnitContext> = {
  id: 'TF-S3-005',
  meaning:
    'No bucket policy allows anyone (Principal "*") without a condition, and no ACL grants public read or write.',
  reason:
    'An unconditioned public Allow publishes every object; limit it to a CDN (OAC source ARN or published ranges).',
  mirrors: [
    'checkov CKV_AWS_70',
    'checkov CKV_AWS_20',
    'checkov CKV_AWS_57',
    'Trivy AVD-AWS-0092',
    'cdk-nag AwsSolutions-S2',
  ],
  appliesTo: ['aws_s3_bucket_policy', 'aws_s3_bucket_acl', 'aws_s3_bucket'],
  check(r) {
    if (r.type !== 'aws_s3_bucket_policy') {
      const acl = String(r.body.acl ?? '');
      return ['public-read', 'public-read-write', 'authenticated-read'].includes(acl)
        ? nonCompliant(`acl ${acl}`)
        : compliant;
    }
    const s = statements(r.body.policy);
    if (!s) return nonCompliant('the policy is not a literal JSON document and cannot be checked');
    const open = s.find((x) => x.Effect === 'Allow' && isAnyone(x.Principal) && !x.Condition);
    return open ? nonCompliant('a statement allows anyone without a condition') : compliant;
  },
};
