import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { referencing } from './util';

export const s3Encryption: Rule<UnitContext> = {
  id: 'TF-S3-002',
  meaning: 'Every bucket has a server-side encryption configuration.',
  reason: 'Default encryption guarantees no object is stored in the clear, whatever the uploader asks for.',
  mirrors: [
    'checkov CKV_AWS_19',
    'Trivy AVD-AWS-0088',
    'cdk-nag NIST.800.53.R5-S3BucketServerSideEncryptionEnabled',
  ],
  appliesTo: ['aws_s3_bucket'],
  check(r, ctx) {
    if (r.body.server_side_encryption_configuration) return compliant;
    return referencing(ctx, 'aws_s3_bucket_server_side_encryption_configuration', 'bucket', r).length
      ? compliant
      : nonCompliant('no server-side encryption configuration');
  },
};
