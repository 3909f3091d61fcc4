import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, referencing } from './util';

export const s3Versioning: Rule<UnitContext> = {
  id: 'TF-S3-003',
  meaning: 'Every bucket has versioning enabled.',
  reason: 'Versions are the undo for an overwrite or a delete, including of Terraform state.',
  mirrors: ['checkov CKV_AWS_21', 'Trivy AVD-AWS-0090', 'cdk-nag NIST.800.53.R5-S3BucketVersioningEnabled'],
  appliesTo: ['aws_s3_bucket'],
  check(r, ctx) {
    const v = referencing(ctx, 'aws_s3_bucket_versioning', 'bucket', r);
    const on = v.some((x) => blocks(x.body.versioning_configuration)[0]?.status === 'Enabled');
    return on
      ? compliant
      : nonCompliant(v.length ? 'versioning is not Enabled' : 'no versioning configuration');
  },
};
