import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, isTrue } from './util';

export const cloudfrontModernTls: Rule<UnitContext> = {
  id: 'TF-CF-002',
  meaning: 'CloudFront distributions use a custom certificate with minimum protocol TLSv1.2_2021 or newer.',
  reason: 'The default certificate accepts TLS 1.0; old protocols allow downgrade attacks.',
  mirrors: ['checkov CKV_AWS_174', 'Trivy AVD-AWS-0013', 'cdk-nag AwsSolutions-CFR4'],
  appliesTo: ['aws_cloudfront_distribution'],
  check(r) {
    const vc = blocks(r.body.viewer_certificate)[0] ?? {};
    if (isTrue(vc.cloudfront_default_certificate))
      return nonCompliant('the default *.cloudfront.net certificate allows TLS 1.0');
    const v = String(vc.minimum_protocol_version ?? '');
    return /^TLSv1\.(2_20(19|21)|3)/.test(v)
      ? compliant
      : nonCompliant(`minimum_protocol_version ${v || 'unset'}`);
  },
};
