import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks } from './util';

export const cloudfrontHttps: Rule<UnitContext> = {
  id: 'TF-CF-001',
  meaning: 'Every CloudFront cache behavior redirects viewers to HTTPS or requires it.',
  reason: 'allow-all serves the site and its cookies over plain HTTP.',
  mirrors: ['checkov CKV_AWS_34', 'Trivy AVD-AWS-0012'],
  appliesTo: ['aws_cloudfront_distribution'],
  check(r) {
    const behaviors = [...blocks(r.body.default_cache_behavior), ...blocks(r.body.ordered_cache_behavior)];
    const bad = behaviors.find(
      (b) => !['redirect-to-https', 'https-only'].includes(String(b.viewer_protocol_policy)),
    );
    return bad ? nonCompliant(`viewer_protocol_policy ${String(bad.viewer_protocol_policy)}`) : compliant;
  },
};
