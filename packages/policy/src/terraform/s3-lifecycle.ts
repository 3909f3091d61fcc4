import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, referencing } from './util';

export const s3Lifecycle: Rule<UnitContext> = {
  id: 'TF-S3-007',
  meaning: 'Every bucket has a lifecycle configuration that aborts incomplete multipart uploads.',
  reason: 'Abandoned multipart parts and endless old versions are billed forever and never seen in listings.',
  mirrors: ['checkov CKV2_AWS_61', 'checkov CKV_AWS_300'],
  appliesTo: ['aws_s3_bucket'],
  check(r, ctx) {
    const lc = referencing(ctx, 'aws_s3_bucket_lifecycle_configuration', 'bucket', r);
    if (!lc.length) return nonCompliant('no lifecycle configuration');
    const aborts = lc.some((x) =>
      blocks(x.body.rule).some(
        (ru) => ru.status === 'Enabled' && blocks(ru.abort_incomplete_multipart_upload).length > 0,
      ),
    );
    return aborts ? compliant : nonCompliant('no enabled rule aborts incomplete multipart uploads');
  },
};
