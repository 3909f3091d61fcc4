import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, str } from './util';

export const cloudfrontOriginAccessControl: Rule<UnitContext> = {
  id: 'TF-CF-003',
  meaning: 'CloudFront reads S3 origins through Origin Access Control (not a public bucket or a legacy OAI).',
  reason: 'OAC signs every origin request so the bucket can stay private and admit only this distribution.',
  mirrors: ['cdk-nag AwsSolutions-CFR7', 'checkov CKV2_AWS_46'],
  appliesTo: ['aws_cloudfront_distribution'],
  check(r) {
    const s3 = blocks(r.body.origin).filter(
      (o) => /\.s3[.-]/.test(str(o.domain_name)) || /aws_s3_bucket\./.test(str(o.domain_name)),
    );
    if (!s3.length) return notApplicable;
    const bad = s3.find((o) => !o.origin_access_control_id);
    return bad ? nonCompliant(`S3 origin ${str(bad.origin_id)} has no origin_access_control_id`) : compliant;
  },
};
