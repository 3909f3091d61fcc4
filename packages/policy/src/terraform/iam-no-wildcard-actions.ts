import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { list, statements } from './util';

const POLICY_FIELD: Record<string, string> = {
  aws_iam_policy: 'policy',
  aws_iam_role_policy: 'policy',
  aws_iam_user_policy: 'policy',
  aws_iam_group_policy: 'policy',
};

export const iamNoWildcardActions: Rule<UnitContext> = {
  id: 'TF-IAM-001',
  meaning:
    'IAM policies allow no wildcard actions ("*" or "service:*") and no NotAction; Resource "*" only with explicit read actions or a condition.',
  reason: 'Wildcards grant whatever the service adds tomorrow and make least privilege unreviewable.',
  mirrors: [
    'checkov CKV_AWS_1',
    'checkov CKV_AWS_49',
    'checkov CKV_AWS_355',
    'checkov CKV_AWS_290',
    'Trivy AVD-AWS-0057',
    'cdk-nag AwsSolutions-IAM5',
  ],
  appliesTo: Object.keys(POLICY_FIELD),
  check(r) {
    const s = statements(r.body[POLICY_FIELD[r.type] ?? 'policy']);
    if (!s) return nonCompliant('the policy is not a literal JSON document and cannot be checked');
    for (const x of s) {
      if (x.Effect !== 'Allow') continue;
      if (x.NotAction) return nonCompliant('an Allow uses NotAction');
      const wild = list(x.Action).find((a) => a === '*' || /:\*$/.test(a));
      if (wild) return nonCompliant(`action "${wild}" is a wildcard`);
      const writes = list(x.Action).filter((a) => !/:(Describe|List|Get)[A-Za-z]*$/.test(a));
      if (list(x.Resource).includes('*') && writes.length && !x.Condition) {
        return nonCompliant(`${writes[0]} on Resource "*" without a condition`);
      }
    }
    return compliant;
  },
};
