import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsAutoMinorUpgrade: Rule<UnitContext> = {
  id: 'TF-RDS-011',
  meaning: 'RDS instances take automatic minor version upgrades (security patches).',
  reason: 'Minor releases carry the security fixes; pinning them leaves known CVEs open.',
  mirrors: ['checkov CKV_AWS_226', 'cdk-nag NIST.800.53.R5-RDSAutomaticMinorVersionUpgradeEnabled'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return r.body.auto_minor_version_upgrade === undefined || isTrue(r.body.auto_minor_version_upgrade)
      ? compliant
      : nonCompliant('auto_minor_version_upgrade is false');
  },
};
