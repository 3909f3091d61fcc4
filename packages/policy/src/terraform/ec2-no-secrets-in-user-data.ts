import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { userDataText } from './util';

const PATTERNS: [RegExp, string][] = [
  [/AKIA[0-9A-Z]{16}/, 'an AWS access key id'],
  [/aws_secret_access_key\s*[=:]/i, 'an AWS secret access key'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/tskey-(auth|client)-[A-Za-z0-9-]+/, 'a Tailscale auth key'],
  [/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/, 'a kubeadm bootstrap token'],
  [/(password|passwd|secret|token)[ \t]*[:=][ \t]*["']?[^\s"'$]{8,}/i, 'a password or token literal'],
];

export const ec2NoSecretsInUserData: Rule<UnitContext> = {
  id: 'TF-EC2-003',
  meaning:
    'User data carries no secrets (keys, tokens, passwords); hosts read them from SSM or Secrets Manager at boot.',
  reason:
    'User data is readable by anyone with ec2:DescribeInstanceAttribute and from inside the instance via IMDS, and it lands in Terraform state.',
  mirrors: ['checkov CKV_AWS_46', 'Trivy AVD-AWS-0029', 'Trivy AVD-AWS-0129'],
  appliesTo: ['aws_instance', 'aws_launch_template'],
  check(r) {
    const text = userDataText(r.body);
    if (!text) return notApplicable;
    const hit = PATTERNS.find(([p]) => p.test(text));
    return hit ? nonCompliant(`user data contains ${hit[1]}`) : compliant;
  },
};
