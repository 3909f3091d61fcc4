import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isAnyone, statements } from './util';

export const iamTrustNotPublic: Rule<UnitContext> = {
  id: 'TF-IAM-002',
  meaning: 'Role trust policies name their principals; none lets anyone ("*") assume the role.',
  reason: 'A role anyone can assume hands its permissions to every AWS account in the world.',
  mirrors: ['checkov CKV_AWS_60', 'checkov CKV_AWS_61', 'Trivy AVD-AWS-0057'],
  appliesTo: ['aws_iam_role'],
  check(r) {
    const s = statements(r.body.assume_role_policy);
    if (!s) return nonCompliant('assume_role_policy is not a literal JSON document and cannot be checked');
    return s.some((x) => x.Effect === 'Allow' && isAnyone(x.Principal))
      ? nonCompliant('anyone may assume this role')
      : compliant;
  },
};
