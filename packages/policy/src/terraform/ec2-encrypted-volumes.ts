import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, isTrue } from './util';

export const ec2EncryptedVolumes: Rule<UnitContext> = {
  id: 'TF-EC2-002',
  meaning:
    'Root and attached EBS volumes of instances, launch templates and standalone volumes are encrypted.',
  reason: 'Unencrypted volumes and their snapshots expose data to anyone who can copy them.',
  mirrors: [
    'checkov CKV_AWS_8',
    'checkov CKV_AWS_3',
    'Trivy AVD-AWS-0131',
    'Trivy AVD-AWS-0026',
    'cdk-nag AwsSolutions-EC26',
  ],
  appliesTo: ['aws_instance', 'aws_launch_template', 'aws_ebs_volume'],
  check(r) {
    const b = r.body;
    if (r.type === 'aws_ebs_volume')
      return isTrue(b.encrypted) ? compliant : nonCompliant('volume is not encrypted');
    if (r.type === 'aws_instance') {
      const root = blocks(b.root_block_device)[0];
      if (!root || !isTrue(root.encrypted)) return nonCompliant('root_block_device.encrypted is not true');
      const bad = blocks(b.ebs_block_device).filter((d) => !isTrue(d.encrypted));
      return bad.length ? nonCompliant(`${bad.length} ebs_block_device without encryption`) : compliant;
    }
    const maps = blocks(b.block_device_mappings);
    if (!maps.length)
      return nonCompliant(
        'launch template does not declare its volumes (the AMI default may be unencrypted)',
      );
    const bad = maps.filter((m) => !isTrue(blocks(m.ebs)[0]?.encrypted));
    return bad.length
      ? nonCompliant(`block device ${String(bad[0]?.device_name)} is not encrypted`)
      : compliant;
  },
};
