import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';

export const ec2NoKeyPair: Rule<UnitContext> = {
  id: 'TF-EC2-006',
  meaning: 'Instances and launch templates have no SSH key pair; administrators use SSM Session Manager.',
  reason:
    'A key pair means port 22 and a long-lived private key on laptops; Session Manager is audited and needs no open port.',
  mirrors: [
    'cdk-nag AwsSolutions-EC23 (no open SSH)',
    'checkov CKV_AWS_24 (port 22)',
    'AWS Security Hub SSM.1',
  ],
  appliesTo: ['aws_instance', 'aws_launch_template'],
  check(r) {
    return r.body.key_name
      ? nonCompliant(`key_name "${String(r.body.key_name)}" is set; use Session Manager`)
      : compliant;
  },
};
