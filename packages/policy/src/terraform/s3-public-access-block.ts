import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue, referencing } from './util';

const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];

export const s3PublicAccessBlock: Rule<UnitContext> = {
  id: 'TF-S3-001',
  meaning:
    'Every bucket has a public access block with all four settings on; a public-access-block resource itself sets all four.',
  reason: 'The block is the one switch that stops a later ACL or policy change from publishing the bucket.',
  mirrors: [
    'checkov CKV2_AWS_6',
    'checkov CKV_AWS_53',
    'checkov CKV_AWS_54',
    'checkov CKV_AWS_55',
    'checkov CKV_AWS_56',
    'Trivy AVD-AWS-0094',
    'Trivy AVD-AWS-0086',
    'Trivy AVD-AWS-0087',
    'Trivy AVD-AWS-0091',
    'Trivy AVD-AWS-0093',
    'cdk-nag AwsSolutions-S2',
  ],
  appliesTo: ['aws_s3_bucket', 'aws_s3_bucket_public_access_block'],
  check(r, ctx) {
    if (r.type === 'aws_s3_bucket_public_access_block') {
      const off = FLAGS.filter((f) => !isTrue(r.body[f]));
      return off.length ? nonCompliant(`${off.join(', ')} off`) : compliant;
    }
    return referencing(ctx, 'aws_s3_bucket_public_access_block', 'bucket', r).length
      ? compliant
      : nonCompliant('no public access block for this bucket');
  },
};
