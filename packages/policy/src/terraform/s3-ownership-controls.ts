import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, referencing } from './util';

export const s3OwnershipEnforced: Rule<UnitContext> = {
  id: 'TF-S3-006',
  meaning: 'Every bucket disables ACLs (object ownership BucketOwnerEnforced).',
  reason:
    'With ACLs off only the bucket policy decides access, and uploads from other accounts cannot keep ownership.',
  mirrors: ['checkov CKV2_AWS_65', 'AWS Security Hub S3.12'],
  appliesTo: ['aws_s3_bucket'],
  check(r, ctx) {
    const oc = referencing(ctx, 'aws_s3_bucket_ownership_controls', 'bucket', r);
    return oc.some((x) => blocks(x.body.rule)[0]?.object_ownership === 'BucketOwnerEnforced')
      ? compliant
      : nonCompliant('ACLs are not disabled (BucketOwnerEnforced)');
  },
};
