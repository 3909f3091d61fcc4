import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isFalse, list, referencing, statements } from './util';

export const s3TlsOnly: Rule<UnitContext> = {
  id: 'TF-S3-004',
  meaning:
    'Every bucket policy denies requests without TLS (aws:SecureTransport = false); every bucket has such a policy.',
  reason: 'Without the deny, clients can read and write objects over plain HTTP.',
  mirrors: [
    'cdk-nag AwsSolutions-S10',
    'cdk-nag HIPAA.Security-S3BucketSSLRequestsOnly',
    'AWS Security Hub S3.5',
  ],
  appliesTo: ['aws_s3_bucket', 'aws_s3_bucket_policy'],
  check(r, ctx) {
    const denies = (doc: unknown): boolean =>
      (statements(doc) ?? []).some((s) => {
        const cond = (s.Condition?.Bool ?? {}) as Record<string, unknown>;
        return (
          s.Effect === 'Deny' &&
          list(s.Action).some((a) => a === 's3:*' || a === '*') &&
          isFalse(cond['aws:SecureTransport'])
        );
      });
    if (r.type === 'aws_s3_bucket_policy')
      return denies(r.body.policy) ? compliant : nonCompliant('the policy does not deny insecure transport');
    const policies = referencing(ctx, 'aws_s3_bucket_policy', 'bucket', r);
    if (!policies.length) return nonCompliant('the bucket has no policy denying insecure transport');
    return policies.some((p) => denies(p.body.policy)) ||
      policies.some((p) => Object.keys(p.acknowledgements).includes('TF-S3-004'))
      ? compliant
      : nonCompliant('its bucket policy does not deny insecure transport');
  },
};
