import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { isTrue } from './util';

export const rdsNotPublic: Rule<UnitContext> = {
  id: 'TF-RDS-002',
  meaning: 'RDS instances are not publicly accessible.',
  reason: 'A public endpoint puts the database login in front of the whole internet.',
  mirrors: ['checkov CKV_AWS_17', 'Trivy AVD-AWS-0082', 'cdk-nag HIPAA.Security-RDSInstancePublicAccess'],
  appliesTo: ['aws_db_instance'],
  check(r) {
    return isTrue(r.body.publicly_accessible) ? nonCompliant('publicly_accessible is true') : compliant;
  },
};
